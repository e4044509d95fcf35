using Catalog.Hosting;
using JasperFx.CommandLine;
using Marten.Storage;

namespace Catalog.Secrets;

public class SecretsInput : CommandInput
{
    [Description("reseal")]
    public string Action { get; set; } = "";
}

/// <summary>How many values of each kind one reseal sealed again under the current master key.</summary>
public sealed record Resealed(string KeyId, int SigningKeys, int WebhookSecrets, bool MasterKeyCheck);

/// <summary>
/// What a slice keeps sealed under the master key, and how it seals it again under the current key: each slice
/// registers its own, so that the rotation reaches every sealed value without this command knowing the slices.
/// </summary>
public interface ISealedValues
{
    /// <summary>Its name in the command's report, camelCase: signingKeys, webhookSecrets.</summary>
    string Name { get; }

    /// <summary>Seals again under the current key every value not yet under it; how many were.</summary>
    Task<int> Reseal(IServiceProvider services, SecretBox secrets, CancellationToken token);
}

/// <summary>
/// Master key rotation: with the new key as <c>Secrets:MasterKey</c> and the old one in
/// <c>Secrets:PreviousMasterKeys</c>, <c>secrets reseal</c> seals every sealed value of every database (the directory,
/// and the one database or every shard) again under the new key, then the master-key check last. After it, the old
/// key can leave the configuration. Each value is replaced on its own and only while it is still the one read, so
/// nodes serve meanwhile and running it again does no harm.
/// </summary>
[Description("Seal every secret again under the current master key (master key rotation)", Name = "secrets")]
public class SecretsCommand : JasperFxAsyncCommand<SecretsInput>
{
    /// <summary>
    /// A pass can miss a value rewritten meanwhile from an older copy (an endpoint's PATCH stores the whole document):
    /// passes run until one finds nothing left. Values that keep coming back under an old key come from a node still
    /// sealing with it.
    /// </summary>
    private const int Passes = 5;

    public override Task<bool> Execute(SecretsInput input) => CommandOutput.Run(async () =>
    {
        if (input.Action != "reseal") throw new AdministrationException($"unknown action '{input.Action}': use reseal");
        using var host = input.BuildHost();
        var directory = host.Services.GetRequiredService<IDirectoryStore>();
        var secrets = host.Services.GetRequiredService<SecretBox>();
        secrets.MustBeSet();
        // Nothing is resealed by a key the database does not know, or that knows none of its keys.
        await MasterKeyCheck.Verify(directory, secrets);

        var sealedValues = host.Services.GetServices<ISealedValues>().ToList();
        var counts = sealedValues.ToDictionary(x => x.Name, _ => 0);
        for (var pass = 1; ; pass++)
        {
            var thisPass = 0;
            foreach (var values in sealedValues)
            {
                var resealedNow = await values.Reseal(host.Services, secrets, CancellationToken.None);
                counts[values.Name] += resealedNow;
                thisPass += resealedNow;
            }
            if (thisPass == 0) break;
            if (pass == Passes)
                throw new AdministrationException(
                    $"values keep being sealed under an older master key: is a node still running with the old key as {SecretBox.Setting}? Give every node the new one, then run this again");
        }
        // Last: until everything is under the new key, a node with the old key alone may still start.
        var check = await MasterKeyCheck.Reseal(directory, secrets);

        int signingKeys = counts.GetValueOrDefault("signingKeys"), webhookSecrets = counts.GetValueOrDefault("webhookSecrets");
        var resealed = new Resealed(secrets.KeyId, signingKeys, webhookSecrets, check);
        if (input.JsonFlag) CommandOutput.Json(resealed);
        else
            Console.WriteLine($"Resealed under master key {resealed.KeyId}: {signingKeys} signing key(s), {webhookSecrets} webhook secret(s)" +
                              $"{(check ? ", and the master-key check" : "")}. " +
                              $"Every value is now under the current key: {SecretBox.PreviousSetting} can be removed from every node.");
    });
}

/// <summary>
/// A document's sealed field, for <c>secrets reseal</c>: in every database of <typeparamref name="TStore"/>, each
/// document <paramref name="stale"/> finds (sealed under another key than the current one, whose prefix it is given) is
/// sealed again under the current key, bound to what it was sealed for.
/// </summary>
public sealed class SealedField<T, TStore>(string name, string field, Func<IQueryable<T>, string, IQueryable<T>> stale,
    Func<T, object> id, Func<T, string> value, Func<T, string> sealedFor) : ISealedValues
    where T : notnull where TStore : IDocumentStore
{
    public string Name => name;

    public async Task<int> Reseal(IServiceProvider services, SecretBox secrets, CancellationToken token)
    {
        var store = services.GetRequiredService<TStore>();
        var table = store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
        var resealed = 0;
        foreach (var database in await store.Storage.AllDatabases())
        {
            await using var query = store.QuerySession(Marten.Services.SessionOptions.ForDatabase(database));
            foreach (var document in await stale(query.Query<T>(), secrets.CurrentPrefix).ToListAsync(token))
                if (await SealedValues.Replace(database, table, id(document), field, value(document),
                        secrets.Reseal(value(document), sealedFor(document)), token))
                    resealed++;
        }
        return resealed;
    }
}

/// <summary>Replacing one sealed value in place, in SQL, only while it is still the value read (optimistic).</summary>
public static class SealedValues
{
    /// <summary>Sets the document's JSON field <paramref name="field"/> to <paramref name="now"/> if it is still <paramref name="was"/>.</summary>
    public static async Task<bool> Replace(IMartenDatabase database, string table, object id, string field, string was, string now,
        CancellationToken token = default)
    {
        await using var connection = database.CreateConnection();
        await connection.OpenAsync(token);
        await using var update = new NpgsqlCommand(
            $"update {table} set data = jsonb_set(data, @path, to_jsonb(@now::text)) where id = @id and data ->> @field = @was", connection);
        update.Parameters.AddWithValue("path", new[] { field });
        update.Parameters.AddWithValue("now", now);
        update.Parameters.AddWithValue("id", id);
        update.Parameters.AddWithValue("field", field);
        update.Parameters.AddWithValue("was", was);
        return await update.ExecuteNonQueryAsync(token) == 1;
    }

    /// <summary>Every database of the deployment once: the directory's, and the accounts' one or shards (on one database, the same).</summary>
    public static async Task<IReadOnlyList<IMartenDatabase>> Databases(IServiceProvider services)
    {
        var directory = services.GetRequiredService<IDirectoryStore>();
        var accounts = services.GetRequiredService<IDocumentStore>();
        var all = new List<IMartenDatabase> { directory.Storage.Database };
        all.AddRange(await accounts.Storage.AllDatabases());
        return all.DistinctBy(Where).ToList();

        static string Where(IMartenDatabase database)
        {
            using var connection = database.CreateConnection();
            var settings = new NpgsqlConnectionStringBuilder(connection.ConnectionString);
            return $"{settings.Host}:{settings.Port}/{settings.Database}";
        }
    }
}
