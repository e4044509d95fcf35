using Catalog.Hosting;
using Catalog.Webhooks;
using Marten.Storage;
using Npgsql;

namespace Catalog.Idempotency;

/// <summary>
/// Master key rotation (<c>secrets reseal</c>): each answer kept for <c>Idempotency-Key</c> replays that is not yet
/// sealed under the current master key is sealed again under it, and so is a webhook secret sealed inside it (opened
/// only as a replay leaves: <see cref="RevealedSecrets"/>). Wolverine keeps them in its table
/// <c>wolverine_deduplicated_responses</c>, in whichever databases it keeps claims (on one database, that one; with
/// shards, the directory): every database is looked in.
/// </summary>
public sealed class ResealAnswers : ISealedValues
{
    public string Name => "idempotentAnswers";

    public async Task<int> Reseal(IServiceProvider services, SecretBox secrets, CancellationToken token) =>
        await Run(await SealedValues.Databases(services), secrets, token);

    public static async Task<int> Run(IReadOnlyList<IMartenDatabase> databases, SecretBox secrets, CancellationToken token = default)
    {
        var resealed = 0;
        foreach (var database in databases)
        {
            await using var connection = database.CreateConnection();
            await connection.OpenAsync(token);
            foreach (var table in await Tables(connection, token))
            {
                var stale = new List<(string Id, string Body)>();
                await using (var select = new NpgsqlCommand(
                                 $"select deduplication_id, body from {table} where ((body like 'v1.%' or body like 'v2.%') and not starts_with(body, @current)) or (body like '{{%' and body like '%\"secret\"%')",
                                 connection))
                {
                    select.Parameters.AddWithValue("current", secrets.CurrentPrefix);
                    await using var reader = await select.ExecuteReaderAsync(token);
                    while (await reader.ReadAsync(token)) stale.Add((reader.GetString(0), reader.GetString(1)));
                }
                foreach (var (id, body) in stale)
                {
                    // A sealed answer, or (with shards, where Wolverine records the answer after the work, not through
                    // SealedAnswers) one in clear whose only secret is the sealed one inside it.
                    var now = SecretBox.IsSealed(body)
                        ? secrets.Seal(RevealedSecrets.Reseal(secrets.OpenText(body, SealedAnswers.BoundTo), secrets), SealedAnswers.BoundTo)
                        : RevealedSecrets.Reseal(body, secrets);
                    if (now == body) continue;
                    await using var update = new NpgsqlCommand($"update {table} set body = @now where deduplication_id = @id and body = @was", connection);
                    update.Parameters.AddWithValue("now", now);
                    update.Parameters.AddWithValue("id", id);
                    update.Parameters.AddWithValue("was", body);
                    resealed += await update.ExecuteNonQueryAsync(token);
                }
            }
        }
        return resealed;
    }

    private static async Task<List<string>> Tables(NpgsqlConnection connection, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables where table_name = 'wolverine_deduplicated_responses'",
            connection);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(token);
        while (await reader.ReadAsync(token)) tables.Add(reader.GetString(0));
        return tables;
    }
}
