using Catalog.Secrets;
using Catalog.Http;
using System.Net.Http.Headers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Alba;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine.Runtime;

namespace Catalog.Tests;

/// <summary>What a client sees of one answer: status, headers and the JSON body.</summary>
public sealed record ApiResponse(int Status, IHeaderDictionary Headers, string Text)
{
    public JsonElement Json => Text.Length == 0 ? default : JsonDocument.Parse(Text).RootElement;
    public JsonElement Data => Json.GetProperty("data");
    public string ContentType => Headers.ContentType.ToString();

    public string[] ErrorFields => Json.TryGetProperty("errors", out var errors)
        ? errors.EnumerateObject().Select(x => x.Name).ToArray()
        : [];

    public string Detail => Json.GetProperty("detail").GetString() ?? "";

    /// <summary>The <c>data</c> as the service's own type (the API's JSON: strict, so a field the type lacks fails).</summary>
    public T As<T>() => Data.Deserialize<T>(ApiJson.Options)!;

    /// <summary>A list's answer, its <c>pagination</c> too, as the service's own types (strict, as <see cref="As{T}"/>).</summary>
    public Page<T> AsPage<T>() => Json.Deserialize<Page<T>>(ApiJson.Options)!;

    /// <summary>A refusal's <c>code</c> (SUSPENDED, MACHINE_LIMIT_REACHED, ...).</summary>
    public string Code => Json.GetProperty("code").GetString()!;

    public override string ToString() => $"{Status} {Text}";
}

/// <summary>A vendor's license, and the machines active on it (each taking a seat).</summary>
public sealed record LicenseWithSeatsTaken(Client Vendor, LicenseDetails License, IReadOnlyList<MachineDetails> Machines);

/// <summary>An account with one key holding the given scopes.</summary>
public sealed record Client(Guid AccountId, Guid KeyId, string Key);

/// <summary>A product of the account and the licenses issued for it, oldest first.</summary>
public sealed record ProductWithLicenses(ProductDetails Product, IReadOnlyList<LicenseDetails> Licenses)
{
    public Guid Id => Product.Id;
}

/// <summary>
/// The base of every test: the shared host, all data wiped before each test, and a small HTTP vocabulary.
/// Requests go through the whole ASP.NET Core pipeline in memory (Alba), including API-key authentication.
/// </summary>
[Collection(ServiceCollection.Name)]
public abstract class ApiTest(AppFixture fixture) : IAsyncLifetime
{
    protected AppFixture Fixture => fixture;
    protected IAlbaHost Host => fixture.Host;
    protected IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();
    /// <summary>Accounts, API keys and signing keys (Hosting/Directory.cs).</summary>
    protected Catalog.Hosting.IDirectoryStore DirectoryStore => Host.Services.GetRequiredService<Catalog.Hosting.IDirectoryStore>();

    public virtual Task InitializeAsync() => ResetAllData();

    private async Task ResetAllData()
    {
        fixture.Clock.Reset();
        // Marten's reset pauses the async daemon, wipes documents, events and subscription progress, resumes it; with
        // shards the previous tests' accounts are removed from their shards instead (RemoveAccountsFromShards). The
        // directory's store too. Again when a pooled connection was cut by a test that stopped PostgreSQL.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (StorageMode.Sharded) await RemoveAccountsFromShards();
                else await Host.ResetAllMartenDataAsync();
                await Host.ResetAllMartenDataAsync<Catalog.Hosting.IDirectoryStore>();
                break;
            }
            // Or deadlocked with deliveries a previous test left in flight (their handling touches the same tables).
            catch (Exception e) when (attempt < 5 && (Catalog.Http.DatabaseExceptionHandler.IsDatabaseUnavailable(e)
                                                      || e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.DeadlockDetected }))
            {
                await Task.Delay(100 * attempt);
            }
        }
        // With shards the reset also empties Marten's registry of shard databases (in the directory): it is written
        // again, as a node writes it at start, so that accounts can be placed.
        if (StorageMode.Sharded)
        {
            await using var directory = await OpenDatabase();
            foreach (var (name, connectionString) in Catalog.Hosting.Database.Shards(Host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()))
            {
                await using var register = new NpgsqlCommand(
                    $"insert into {Catalog.Hosting.Database.Schema}.mt_database_pool (database_id, connection_string) values (@id, @cs) on conflict (database_id) do nothing",
                    directory);
                register.Parameters.AddWithValue("id", name);
                register.Parameters.AddWithValue("cs", connectionString);
                await register.ExecuteNonQueryAsync();
            }
        }
        // Wolverine's envelopes too. Deliveries a previous test left in flight (a webhook test's dead receivers,
        // say) are still being marked handled, and the truncation can deadlock with them: it runs again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Host.Services.GetRequiredService<IWolverineRuntime>().Storage.Admin.ClearAllAsync();
                return;
            }
            catch (Exception e) when (attempt < 5 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected })
            {
                await Task.Delay(100 * attempt);
            }
        }
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// The reset with shards: every account still placed is removed from its shard, its events deleted and its list
    /// partitions (and so its documents) dropped. Marten keeps a set of partitions per account, which its reset
    /// empties but keeps: hundreds of tests left thousands, and resets and query plans grew to seconds a test.
    /// Marten's own reset is not used with shards: under Wolverine's agents its pause does not hold, and a feed
    /// restarted while the events were wiped failed for good ("progression out of order"), taking every later
    /// test's webhooks with it. Here nothing rewinds: the sequence and each feed's progress only move on.
    /// </summary>
    private async Task RemoveAccountsFromShards()
    {
        // Deleted events must lie under the high-water mark: deleted above it they would be a hole in the sequence,
        // which the event log waits out (ListEvents.PageOfTheLog) and the next test's log would lag behind.
        foreach (var shard in StorageMode.Shards.Values) await HighWaterMarkPassesEveryEvent(shard);
        foreach (var account in await PlacedAccounts())
        {
            await Store.Advanced.DeleteAllTenantDataAsync(account, CancellationToken.None);
            await Store.Advanced.RemoveTenantFromShardAsync(account, CancellationToken.None);
        }
    }

    private static async Task HighWaterMarkPassesEveryEvent(string shard)
    {
        await using var connection = await OpenDatabase(shard);
        await using var passed = new NpgsqlCommand($"""
            select coalesce((select last_seq_id from {Catalog.Hosting.Database.Schema}.mt_event_progression where name = 'HighWaterMark'), 0)
                >= coalesce((select max(seq_id) from {Catalog.Hosting.Database.Schema}.mt_events), 0)
            """, connection);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(50))
            if (await passed.ExecuteScalarAsync() is true) return;
    }

    /// <summary>With shards, the accounts placed in a shard (by the directory's registry).</summary>
    private static async Task<string[]> PlacedAccounts()
    {
        var accounts = new List<string>();
        await using var directory = await OpenDatabase();
        await using var query = new NpgsqlCommand($"select tenant_id from {Catalog.Hosting.Database.Schema}.mt_tenant_assignments", directory);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync()) accounts.Add(reader.GetString(0));
        return accounts.ToArray();
    }

    /// <summary>The test on a host restarted with these settings (and its data reset), then the host as it was.</summary>
    protected async Task WithSettings((string Key, string Value)[] settings, Func<Task> test)
    {
        await Fixture.RestartAsync(builder =>
        {
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        });
        try
        {
            await ResetAllData();
            await test();
        }
        finally
        {
            await Fixture.RestartAsync();
        }
    }

    /// <summary>Waits for something that happens in the background (webhook deliveries), up to a generous bound.</summary>
    protected static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Still waiting after {seconds} s: {what}");
            await Task.Delay(100);
        }
    }

    public static readonly string[] AllScopes = [.. Scopes.All];

    /// <summary>A new account and a key for it, made the way the admin command line makes them.</summary>
    protected async Task<Client> AClient(params string[] scopes)
    {
        var (account, _) = await AccountAdministration.CreateAccount(DirectoryStore, Store, Host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(),
            Host.Services.GetRequiredService<Catalog.Secrets.SecretBox>(), Host.Services.GetServices<INewAccountSetup>(),
            "Account " + Guid.NewGuid().ToString("N")[..6], shard: null, TimeProvider.System);
        return await AKeyFor(account.Id, scopes.Length == 0 ? AllScopes : scopes);
    }

    protected async Task<Client> AKeyFor(Guid accountId, params string[] scopes)
    {
        var (key, secret) = await AccountAdministration.CreateApiKey(DirectoryStore, accountId.ToString(), string.Join(",", scopes), "tests", TimeProvider.System);
        return new Client(accountId, key.Id, secret);
    }

    protected Task<ApiResponse> Get(string url, Client? client) => Send("GET", url, client);
    protected Task<ApiResponse> Delete(string url, Client? client) => Send("DELETE", url, client);

    protected Task<ApiResponse> Post(string url, Client? client, object body) =>
        Send("POST", url, client, JsonSerializer.Serialize(body));

    protected Task<ApiResponse> Patch(string url, Client? client, object body) =>
        Send("PATCH", url, client, JsonSerializer.Serialize(body));

    /// <summary>Sends exactly these bytes, with exactly these headers: for the tests of bad input.</summary>
    protected async Task<ApiResponse> Send(string method, string url, Client? client, string? body = null,
        string? contentType = "application/json", Action<HttpRequest>? configure = null)
    {
        var result = await Host.Scenario(s =>
        {
            _ = method switch
            {
                "GET" => s.Get.Url(url),
                "POST" => s.Post.Url(url),
                "PATCH" => s.Patch.Url(url),
                "PUT" => s.Put.Url(url),
                "DELETE" => s.Delete.Url(url),
                _ => throw new ArgumentOutOfRangeException(nameof(method))
            };
            s.ConfigureHttpContext(context =>
            {
                var request = context.Request;
                if (client is not null) request.Headers.Authorization = "Bearer " + client.Key;
                if (body is not null)
                {
                    var bytes = Encoding.UTF8.GetBytes(body);
                    request.Body = new MemoryStream(bytes);
                    request.ContentLength = bytes.Length;
                    if (contentType is not null) request.ContentType = contentType;
                }
                configure?.Invoke(request);
            });
            s.IgnoreStatusCode();
        });

        var text = await result.ReadAsTextAsync();
        return new ApiResponse(result.Context.Response.StatusCode, result.Context.Response.Headers, text);
    }

    // The vocabulary of products, used by every slice's tests.

    protected static object AProduct(string code, string name = "Desktop App Pro") => new { name, code };

    /// <summary>A license of the product issued with these fields (maxMachines, expiresAt, ...): 201, read strictly.</summary>
    protected async Task<LicenseDetails> IssueLicense(Client client, Guid productId, object? body = null)
    {
        var response = await Post($"/api/v1/products/{productId}/licenses", client, body ?? new { });
        Assert.True(response.Status == 201, response.ToString());
        return response.As<LicenseDetails>();
    }

    /// <summary>A vendor, and a license of a new product issued with these fields (maxMachines, expiresAt, ...).</summary>
    protected async Task<(Client Vendor, LicenseDetails License)> ALicense(object? body = null)
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor);
        return (vendor, await IssueLicense(vendor, product.Id, body ?? new { maxMachines = 3 }));
    }

    /// <summary>A vendor, and a license of a new product with <paramref name="maxMachines"/> seats, these machines active on it.</summary>
    protected async Task<LicenseWithSeatsTaken> ALicenseWithSeatsTaken(int? maxMachines, params string[] fingerprints)
    {
        var vendor = await AClient();
        var product = await Read<ProductDetails>("POST", "/api/v1/products", vendor, AProduct("code-" + Guid.NewGuid().ToString("N")[..8]));
        var license = await Read<LicenseDetails>("POST", $"/api/v1/products/{product.Id}/licenses", vendor, new { maxMachines });
        var machines = new List<MachineDetails>();
        foreach (var fingerprint in fingerprints)
        {
            var activated = await AsLicense("POST", "/api/v1/client/machines", license.Key, JsonSerializer.Serialize(new { fingerprint }));
            Assert.True(activated.Status == 201, activated.ToString());
            machines.Add(activated.As<MachineDetails>());
        }
        return new LicenseWithSeatsTaken(vendor, license, machines);
    }

    // The vocabulary of licensing models (policies, entitlements).

    /// <summary>A vendor with a product and these entitlements.</summary>
    protected async Task<(Client Vendor, ProductDetails Product)> AProductWithEntitlements(params string[] codes)
    {
        var vendor = await AClient();
        var product = await CreateProduct(vendor, AProduct("app-" + Guid.NewGuid().ToString("N")[..8]));
        foreach (var code in codes)
            Assert.Equal(201, (await Post("/api/v1/entitlements", vendor, new { code, name = code })).Status);
        return (vendor, product);
    }

    /// <summary>A policy of the product made with this body: 201, read strictly.</summary>
    protected async Task<Catalog.Policies.PolicyDetails> APolicy(Client vendor, Guid productId, object body)
    {
        var created = await Post($"/api/v1/products/{productId}/policies", vendor, body);
        Assert.True(created.Status == 201, created.ToString());
        return created.As<Catalog.Policies.PolicyDetails>();
    }

    /// <summary>The account's events of this type, oldest first, as the event log shows them.</summary>
    protected async Task<List<Catalog.EventLog.EventLogEntry>> EventsOfType(Client client, string type)
    {
        var response = await Get($"/api/v1/events?type={type}&limit=100", client);
        Assert.True(response.Status == 200, response.ToString());
        return response.As<List<Catalog.EventLog.EventLogEntry>>();
    }

    protected async Task<int> LicensesCount(Client client, Guid productId)
    {
        var response = await Get($"/api/v1/products/{productId}", client);
        Assert.True(response.Status == 200, response.ToString());
        return response.As<ProductDetails>().LicensesCount;
    }

    /// <summary>The account has no product and no event: a refused request wrote nothing.</summary>
    protected async Task NothingWasStored(Client client)
    {
        await using var session = Store.QuerySession(client.AccountId.ToString());
        Assert.Equal(0, await session.Query<Catalog.Products.Product>().CountAsync());
        Assert.Equal(0, await session.Events.QueryAllRawEvents().CountAsync());
    }

    /// <summary>A JSON body for a plain HttpClient (a service process of its own, not the shared host).</summary>
    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>An open connection to the tests' database, or to the one named.</summary>
    public static async Task<NpgsqlConnection> OpenDatabase(string? connectionString = null)
    {
        var connection = new NpgsqlConnection(connectionString ?? Environment.GetEnvironmentVariable("ConnectionStrings__Catalog"));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>
    /// PostgreSQL's plan for a query the service builds (Marten's own SQL and parameters), one line a node. With
    /// <paramref name="generic"/>, the plan of the query prepared and planned without its parameters' values: the one
    /// a connection that prepares its statements (Npgsql's automatic preparation) may settle on.
    /// </summary>
    protected static async Task<List<string>> PlanOf<T>(IQueryable<T> query, bool analyze = false, bool generic = false)
        where T : notnull
    {
        var command = query.ToCommand(Marten.Linq.FetchType.FetchMany);
        await using var connection = await OpenDatabase();
        var explain = analyze ? "explain (analyze, costs off, timing off, summary off) " : "explain ";
        if (generic)
        {
            // Marten names its parameters (:p0); PREPARE numbers them.
            var parameters = command.Parameters.Cast<NpgsqlParameter>().ToList();
            var numbered = System.Text.RegularExpressions.Regex.Replace(command.CommandText, @"[:@](\w+)",
                x => parameters.FindIndex(p => p.ParameterName.TrimStart(':', '@') == x.Groups[1].Value) is var i and >= 0
                    ? $"${i + 1}" : x.Value);
            await using var prepare = new NpgsqlCommand(
                $"set plan_cache_mode = force_generic_plan; prepare planned as {numbered}", connection);
            await prepare.ExecuteNonQueryAsync();
            var values = parameters.Select(x => SqlLiteral(x.Value));
            command = new NpgsqlCommand($"{explain}execute planned({string.Join(", ", values)})");
        }
        else command.CommandText = explain + command.CommandText;
        command.Connection = connection;
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        return plan;
    }

    private static string SqlLiteral(object? value) => value switch
    {
        null or DBNull => "null",
        string text => "'" + text.Replace("'", "''") + "'",
        Guid id => $"'{id}'",
        IEnumerable<string> texts => "array[" + string.Join(", ", texts.Select(SqlLiteral)) + "]::text[]",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => SqlLiteral(value.ToString())
    };

    /// <summary>
    /// The <c>data</c> of a successful answer as the service's own type, read by Alba: for tests where the response's
    /// shape is not what they are about.
    /// </summary>
    protected async Task<T> Read<T>(string method, string url, Client client, object? body = null)
    {
        var result = await Host.Scenario(s =>
        {
            _ = method switch
            {
                "GET" => s.Get.Url(url),
                "POST" => body is null ? s.Post.Url(url) : s.Post.Json(body).ToUrl(url),
                _ => throw new ArgumentOutOfRangeException(nameof(method))
            };
            s.WithRequestHeader("Authorization", "Bearer " + client.Key);
            s.IgnoreStatusCode();
        });
        var status = result.Context.Response.StatusCode;
        if (status is < 200 or >= 300) Assert.Fail($"{method} {url}: {status} {await result.ReadAsTextAsync()}");
        return (await result.ReadAsJsonAsync<Resource<T>>())!.Data;
    }

    /// <summary>A product with <paramref name="licenses"/> licenses issued for it.</summary>
    protected async Task<ProductWithLicenses> AProductWithLicenses(Client client, int licenses)
    {
        var product = await Read<ProductDetails>("POST", "/api/v1/products", client, AProduct("code-" + Guid.NewGuid().ToString("N")[..8]));
        var issued = new List<LicenseDetails>();
        for (var i = 0; i < licenses; i++)
            issued.Add(await Read<LicenseDetails>("POST", $"/api/v1/products/{product.Id}/licenses", client, new { }));
        return new ProductWithLicenses(product, issued);
    }

    /// <summary>A product made with this body (a fresh code when none): 201, read strictly.</summary>
    protected async Task<ProductDetails> CreateProduct(Client client, object? body = null)
    {
        var response = await Post("/api/v1/products", client, body ?? AProduct("code-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.True(response.Status == 201, response.ToString());
        return response.As<ProductDetails>();
    }

    /// <summary>
    /// No event without its read model, no read model without its events, and every licensesCount equal to
    /// the license events of its stream, checked in SQL on the tables themselves.
    /// </summary>
    protected static async Task ReadModelsAgreeWithTheEvents(string? connectionString = null)
    {
        if (connectionString is null)
        {
            foreach (var database in StorageMode.AccountDatabases) await ReadModelsAgreeWithTheEvents(database);
            return;
        }

        // One snapshot for every check: a transaction committing between two of them cannot look like a gap.
        await using var connection = await OpenDatabase(connectionString);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        async Task<long> Count(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, snapshot);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        // Every stream with events has its product or license document; the check names the ones that do not.
        await using (var orphans = new NpgsqlCommand("""
            select coalesce(string_agg(concat_ws(' ', s.id, s.tenant_id, s.type, (select string_agg(e.type, ',') from catalog.mt_events e where e.stream_id = s.id)), '; '), '')
            from catalog.mt_streams s
            where not exists (select 1 from catalog.mt_doc_product p where p.id = s.id and p.tenant_id = s.tenant_id)
              -- a license's own stream (its machines and lifecycle)
              and not exists (select 1 from catalog.mt_doc_license l where l.id = s.id and l.tenant_id = s.tenant_id)
              -- a policy's or an entitlement's
              and not exists (select 1 from catalog.mt_doc_policy x where x.id = s.id and x.tenant_id = s.tenant_id)
              and not exists (select 1 from catalog.mt_doc_entitlement x where x.id = s.id and x.tenant_id = s.tenant_id)
              -- Marten's tombstone stream (its id drawn per process) holds only "tombstone" events, which mark the
              -- sequence numbers of an append that rolled back, or none at all
              and exists (select 1 from catalog.mt_events e where e.stream_id = s.id and e.type <> 'tombstone')
            """, connection, snapshot))
        {
            var found = (string)(await orphans.ExecuteScalarAsync())!;
            Assert.True(found.Length == 0, "streams without their product or license: " + found);
        }
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_doc_product p
            where not exists (select 1 from catalog.mt_events e where e.stream_id = p.id and e.type = 'product_created')
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_events e
            where e.type = 'license_issued'
              and not exists (select 1 from catalog.mt_doc_license l where l.id = (e.data ->> 'LicenseId')::uuid)
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_doc_product p
            where (p.data ->> 'LicensesCount')::int <>
                  (select count(*) filter (where e.type = 'license_issued') - count(*) filter (where e.type = 'license_revoked')
                   from catalog.mt_events e where e.stream_id = p.id)
            """));
        Assert.Equal(0, await Count("""
            select count(*) from catalog.mt_doc_license l
            where coalesce((l.data ->> 'MachinesCount')::int, 0) <>
                  (select count(*) filter (where e.type = 'machine_activated') - count(*) filter (where e.type = 'machine_deactivated')
                   from catalog.mt_events e where e.stream_id = l.id)
               or coalesce((l.data ->> 'MachinesCount')::int, 0) <>
                  (select count(*) from catalog.mt_doc_machine m where (m.data ->> 'LicenseId')::uuid = l.id and m.data ->> 'DeactivatedAt' is null)
            """));
    }

    /// <summary>Sends as the software on a machine does: with the license key, not an API key.</summary>
    protected Task<ApiResponse> AsLicense(string method, string url, string licenseKey, string? body = null) =>
        Send(method, url, null, body, configure: request => request.Headers.Authorization = "License " + licenseKey);
}
