using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Conventions;

namespace Catalog.Http;

/// <summary>
/// Reads that move bytes, not objects: the stored document's JSON, as PostgreSQL sends it, is reshaped into the answer's
/// JSON as it passes (<see cref="AnswerShape"/>: fields renamed, ordered and picked, timestamps written as the API
/// writes them) and sent with its <c>Content-Length</c>. No document is deserialized, no object serialized, and the
/// answer is never written in chunks. Building the JSON in PostgreSQL instead (<c>json_build_object</c>) cost more of
/// its CPU than this costs ours (bench/README.md). The shape is the answer record's own (<see cref="AnswerShape.Of{T}"/>),
/// and a test holds the two to the same JSON. The statement runs on the account's database's own Npgsql source
/// (<see cref="AccountSource"/>), with no Marten session.
/// <para>
/// Every statement is given the source's account as <c>$1</c> and must filter on it (a test checks each). What .NET's
/// encoder writes as <c>\u</c> escapes (all but ASCII, and <c>&lt; &gt; &amp; ' + `</c>) stays as stored, in UTF-8:
/// the same JSON value, in an <c>application/json</c> answer.
/// </para>
/// </summary>
public static class StoredAnswers
{
    /// <summary>
    /// One resource: <paramref name="sql"/> returns at most one row whose one column is the stored document
    /// (<c>jsonb</c>); the answer is <c>{"data": ...}</c> in <paramref name="shape"/>, and no row is a 404 (the status
    /// pages write its problem details). It takes the source's account as <c>$1</c>, always, and the
    /// <paramref name="values"/> from <c>$2</c> on.
    /// </summary>
    public static async Task<IResult> One(AccountSource source, string sql, AnswerShape shape, CancellationToken token,
        params object[] values)
    {
        await using var command = Command(source, sql, [source.Account, .. values]);
        await using var reader = await source.ReadAsync(command, token);
        if (!await reader.ReadAsync(token)) return Results.NotFound();
        var answer = new ArrayBufferWriter<byte>(1024);
        answer.Write("""{"data":"""u8);
        shape.Write(StoredDocument(reader, 0), answer);
        answer.Write("}"u8);
        return new Answer(answer);
    }

    /// <summary>
    /// A page of a list, newest first by keyset on the id, as <see cref="Pagination"/> reads every list (no OFFSET, no count), in SQL, for a hot list:
    /// Marten parses and plans a LINQ query again on every request. <paramref name="sql"/> returns rows of (id, stored
    /// document), taking the account as <c>$1</c>, the cursor as <c>$2</c> (every id is below the first page's) and the
    /// limit plus one as <c>$3</c>; the envelope (<c>{"data": [...], "pagination": {...}}</c>) is written around the items.
    /// </summary>
    public static async Task<IResult> Page(AccountSource source, string sql, AnswerShape shape, PageRequest page, CancellationToken token)
    {
        await using var command = Command(source, sql, [source.Account, page.Cursor ?? Pagination.AfterEveryId, page.Take + 1]);
        await using var reader = await source.ReadAsync(command, token);
        // Pagination.Of's page, written as bytes: the row past the limit says there is more; the cursor is the last item's id.
        var answer = new ArrayBufferWriter<byte>(1024 * Math.Min(page.Take, 16));
        answer.Write("""{"data":["""u8);
        Guid last = default;
        var items = 0;
        var hasMore = false;
        while (await reader.ReadAsync(token))
        {
            if (items == page.Take) { hasMore = true; break; }
            if (items++ > 0) answer.Write(","u8);
            last = reader.GetGuid(0);
            shape.Write(StoredDocument(reader, 1), answer);
        }
        answer.Write(hasMore ? Encoding.UTF8.GetBytes($$$"""],"pagination":{"nextCursor":"{{{last}}}","hasMore":true}}""")
            : """],"pagination":{"nextCursor":null,"hasMore":false}}"""u8);
        return new Answer(answer);
    }

    /// <summary>The stored document's JSON text: a <c>jsonb</c> as PostgreSQL sends it, after its format's version byte (1).</summary>
    private static ReadOnlySpan<byte> StoredDocument(System.Data.Common.DbDataReader reader, int column)
    {
        using var stream = reader.GetStream(column);
        var json = new byte[stream.Length];
        stream.ReadExactly(json);
        return json.Length > 0 && json[0] == JsonbVersion ? json.AsSpan(1) : json;
    }

    private const byte JsonbVersion = 1;

    /// <summary>A command of the data source: it takes a pooled connection when run, and gives it back with its reader.</summary>
    private static NpgsqlCommand Command(AccountSource source, string sql, object[] values)
    {
        var command = source.DataSource.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>The answer's bytes as one 200 body of known length.</summary>
    private sealed class Answer(ArrayBufferWriter<byte> answer) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = answer.WrittenCount;
            await response.Body.WriteAsync(answer.WrittenMemory, context.RequestAborted);
        }
    }
}

/// <summary>
/// The fields of an answer record, in its order, each read from the stored document's field of the same name: what
/// <see cref="Write"/> makes of a stored document's JSON without deserializing it.
/// </summary>
public sealed class AnswerShape
{
    private readonly (byte[] Stored, byte[] Answer, bool IsTimestamp)[] _fields;

    private AnswerShape((byte[], byte[], bool)[] fields) => _fields = fields;

    /// <summary>
    /// The shape of <typeparamref name="T"/>'s JSON: its properties as the API names them (camelCase, those marked
    /// <c>[JsonIgnore]</c> left out), each the stored field of the property's own name; timestamps are rewritten.
    /// </summary>
    public static AnswerShape Of<T>() => new(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(x => x.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .Select(x => (Encoding.UTF8.GetBytes(x.Name), Encoding.UTF8.GetBytes($"\"{ApiJson.Options.PropertyNamingPolicy!.ConvertName(x.Name)}\":"),
            (Nullable.GetUnderlyingType(x.PropertyType) ?? x.PropertyType) == typeof(DateTimeOffset)))
        .ToArray());

    /// <summary>Writes the answer's object for one stored document's JSON; a field the document lacks is null.</summary>
    public void Write(ReadOnlySpan<byte> stored, IBufferWriter<byte> answer)
    {
        Span<Range> values = stackalloc Range[_fields.Length]; // all 0..0: no value found yet
        var reader = new Utf8JsonReader(stored);
        reader.Read(); // the document's object
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = IndexOf(reader.ValueSpan);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip(); // an object or array to its end; a value stays where it is
            if (field >= 0) values[field] = start..(int)reader.BytesConsumed;
        }

        answer.Write("{"u8);
        for (var i = 0; i < _fields.Length; i++)
        {
            if (i > 0) answer.Write(","u8);
            answer.Write(_fields[i].Answer);
            var value = values[i].Equals(default(Range)) ? "null"u8 : stored[values[i]];
            if (_fields[i].IsTimestamp && value[0] == (byte)'"') WriteTimestamp(value[1..^1], answer);
            else WriteCompact(value, answer);
        }
        answer.Write("}"u8);
    }

    private int IndexOf(ReadOnlySpan<byte> stored)
    {
        for (var i = 0; i < _fields.Length; i++)
            if (stored.SequenceEqual(_fields[i].Stored)) return i;
        return -1;
    }

    /// <summary>
    /// A stored timestamp as the API writes it (<c>2026-01-10T08:00:00.000Z</c>). The service stores UTC cut to the
    /// millisecond, which .NET writes as <c>2026-01-10T08:00:00.12+00:00</c> (trailing zeros dropped): that text is
    /// reshaped as bytes; anything else is parsed and formatted.
    /// </summary>
    private static void WriteTimestamp(ReadOnlySpan<byte> text, IBufferWriter<byte> answer)
    {
        var span = answer.GetSpan(26);
        if (text.Length is >= 25 and <= 29 && text.EndsWith("+00:00"u8) && (text.Length == 25 || text[19] == (byte)'.'))
        {
            span[0] = (byte)'"';
            text[..19].CopyTo(span[1..]);
            span[20] = (byte)'.';
            ReadOnlySpan<byte> fraction = text.Length == 25 ? default : text[20..^6];
            for (var i = 0; i < 3; i++) span[21 + i] = i < fraction.Length ? fraction[i] : (byte)'0';
            span[24] = (byte)'Z';
            span[25] = (byte)'"';
            answer.Advance(26);
            return;
        }
        var value = DateTimeOffset.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var written = Encoding.UTF8.GetBytes($"\"{value.UtcDateTime.ToString(UtcTimestampConverter.Format, CultureInfo.InvariantCulture)}\"", span);
        answer.Advance(written);
    }

    /// <summary>A stored value without the whitespace PostgreSQL writes between tokens (a string's own spaces kept).</summary>
    private static void WriteCompact(ReadOnlySpan<byte> json, IBufferWriter<byte> answer)
    {
        var span = answer.GetSpan(json.Length);
        var kept = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                if (escaped) escaped = false;
                else if (b == (byte)'\\') escaped = true;
                else if (b == (byte)'"') inString = false;
            }
            else if (b == (byte)'"') inString = true;
            else if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') continue;
            span[kept++] = b;
        }
        answer.Advance(kept);
    }
}
