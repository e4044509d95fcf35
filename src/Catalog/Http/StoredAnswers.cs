using System.Buffers;
using System.Text;

namespace Catalog.Http;

/// <summary>
/// Reads that move bytes, not objects: the statement returns the answer's JSON, built by PostgreSQL from the stored
/// document's fields (<c>json_build_object</c>, in the API's names and timestamp format), as UTF-8 bytes, and those bytes
/// are the response body, sent with its <c>Content-Length</c>. Nothing is deserialized into a document or serialized from
/// one on the way, and the answer is never written in chunks. A slice states its shape in SQL beside the record that
/// documents it, and a test holds the two to the same JSON. Every statement is given the session's account as <c>$1</c>
/// and must filter on it (<c>tenant_id = $1</c>; a test checks each). PostgreSQL writes <c>"a" : 1</c> and <c>[1, 2]</c>;
/// the spaces between tokens are dropped as the bytes pass, so the answer is as compact as every other. Text that
/// .NET's encoder writes as <c>\u</c> escapes (all but ASCII, and <c>&lt; &gt; &amp; ' + `</c>) stays as it is, in
/// UTF-8: the same JSON value, in an <c>application/json</c> answer.
/// </summary>
public static class StoredAnswers
{
    /// <summary>
    /// A stored UTC timestamp (the text of a <c>DateTimeOffset</c> the service cut to milliseconds, so the cast is exact)
    /// as the API writes it: <c>2026-01-10T08:00:00.000Z</c>, or null. The colons are quoted text of the format, so that
    /// pgbench, which runs this SQL as the benchmark's baseline, does not read <c>:MI</c> as one of its variables.
    /// </summary>
    public static string Timestamp(string storedText) =>
        $"""to_char(CAST({storedText} as timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.MS"Z"')""";

    /// <summary>
    /// One resource: <paramref name="sql"/> returns at most one row whose one column is the whole answer
    /// (<c>{"data": ...}</c>) as <c>bytea</c>; no row is a 404 (the status pages write its problem details). It takes the
    /// session's account as <c>$1</c>, always, and the <paramref name="values"/> from <c>$2</c> on.
    /// </summary>
    public static async Task<IResult> One(IQuerySession session, string sql, CancellationToken token, params object[] values)
    {
        await using var command = Command(sql, [session.TenantId, .. values]);
        await using var reader = await session.ExecuteReaderAsync(command, token);
        return await reader.ReadAsync(token) ? new Answer([Compact(reader.GetFieldValue<byte[]>(0))]) : Results.NotFound();
    }

    /// <summary>
    /// A page of a list, newest first by keyset on the id, as <see cref="Pagination"/> reads every list (no OFFSET, no
    /// count), in SQL, for a hot list: Marten parses and plans a LINQ query again on every request. <paramref name="sql"/> returns rows of (id, item as <c>bytea</c>), taking the account as <c>$1</c>, the
    /// cursor as <c>$2</c> (every id is below the first page's) and the limit plus one as <c>$3</c>; the envelope
    /// (<c>{"data": [...], "pagination": {...}}</c>) is written around the items.
    /// </summary>
    public static async Task<IResult> Page(IQuerySession session, string sql, PageRequest page, CancellationToken token)
    {
        await using var command = Command(sql, [session.TenantId, page.Cursor ?? Pagination.AfterEveryId, page.Take + 1]);
        await using var reader = await session.ExecuteReaderAsync(command, token);
        // Pagination.Of's page, written as bytes: the row past the limit says there is more; the cursor is the last item's id.
        var parts = new List<ReadOnlyMemory<byte>>(2 * page.Take + 1) { PageOpens };
        Guid last = default;
        var items = 0;
        var hasMore = false;
        while (await reader.ReadAsync(token))
        {
            // The row past the limit only tells that another page exists: no count is ever taken.
            if (items == page.Take) { hasMore = true; break; }
            if (items++ > 0) parts.Add(Comma);
            last = reader.GetGuid(0);
            parts.Add(Compact(reader.GetFieldValue<byte[]>(1)));
        }
        parts.Add(hasMore ? Encoding.UTF8.GetBytes($$$"""],"pagination":{"nextCursor":"{{{last}}}","hasMore":true}}""") : PageCloses);
        return new Answer(parts);
    }

    private static readonly byte[] PageOpens = """{"data":["""u8.ToArray();
    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] PageCloses = """],"pagination":{"nextCursor":null,"hasMore":false}}"""u8.ToArray();

    /// <summary>The JSON without the whitespace between its tokens, in place (a string's own spaces are kept).</summary>
    public static ReadOnlyMemory<byte> Compact(byte[] json)
    {
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
            json[kept++] = b;
        }
        return json.AsMemory(0, kept);
    }

    private static NpgsqlCommand Command(string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>The answer's bytes, in parts, as one 200 body of known length.</summary>
    private sealed class Answer(List<ReadOnlyMemory<byte>> parts) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            long length = 0;
            foreach (var part in parts) length += part.Length;
            response.ContentLength = length;
            var body = response.BodyWriter;
            foreach (var part in parts) body.Write(part.Span);
            await body.FlushAsync(context.RequestAborted);
        }
    }
}
