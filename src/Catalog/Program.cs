using Catalog.Accounts;
using Catalog.Activity;
using Catalog.Conventions;
using Catalog.Docs;
using Catalog.Entitlements;
using Catalog.EventLog;
using Catalog.Health;
using Catalog.Hosting;
using Catalog.Http;
using Catalog.Leases;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Policies;
using Catalog.Portal;
using Catalog.Products;
using Catalog.Secrets;
using Catalog.SigningKeys;
using Catalog.Validation;
using Catalog.Webhooks;
using JasperFx;
using Spectre.Console;
using Wolverine;

// Catalog: products and license keys for software vendors, event sourced on Marten and Wolverine.
// With no arguments this runs the web server; with arguments it is the admin command line
// (accounts, api-keys, db-apply, projections, ...).
if (args.Length == 0) FastStart.RecordAndReplayTheJit(); // the methods the last start compiled, compiled again on another core ahead of need
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json is found beside the executable, whatever the working directory.
    ContentRootPath = AppContext.BaseDirectory
});
var configuration = builder.Configuration;

// The directory: how a request finds its account (accounts, API keys, signing keys, and with shards each license
// key's account). Always on ConnectionStrings:Catalog.
builder.Services.AddMartenStore<IDirectoryStore>(directory =>
{
    directory.UseDirectoryDatabase(configuration, builder.Environment);
    directory.ConfigureSecrets();
    directory.ConfigureAccounts();
    directory.ConfigureSigningKeys();
    directory.ConfigureLicenseKeys(configuration);
    directory.LeaveEventLogIndexesAlone(); // the event table is shared on one database: its indexes are the event log's
});

// The accounts' events and documents: one PostgreSQL database, or the shards of Sharding:Databases. Each slice maps
// its own events, documents and projections.
builder.Services.AddMarten(marten =>
    {
        marten.UseCatalogDatabase(configuration, builder.Environment);
        marten.ConfigureProducts();
        marten.ConfigureEntitlements();
        marten.ConfigurePolicies();
        marten.ConfigureLicenses();
        marten.ConfigureMachines();
        marten.ConfigureLeases();
        marten.ConfigureWebhooks();
        marten.ConfigureEventLog();
        marten.ConfigureActivity();
    })
    // Wolverine's outbox and inbox live in the same database, so messages commit with the data. Wolverine runs the
    // webhook feed of each database as an agent: spread over the live nodes, moved when one dies (Hosting/Database.cs).
    .IntegrateWithWolverine(integration =>
    {
        integration.UseWolverineManagedEventSubscriptionDistribution = true;
        // With shards, Wolverine keeps its node registry, leader lock and idempotency claims in the directory database,
        // and each shard's queued deliveries in that shard.
        if (Database.IsSharded(configuration)) integration.MainDatabaseConnectionString = Database.ConnectionString(configuration);
    })
    .SubscribeToEvents(new WebhookFeed());

// Messaging, the transaction around every endpoint, and the code Wolverine generates for them.
builder.Host.UseWolverine(wolverine =>
{
    wolverine.UseCatalogHosting(configuration, builder.Environment);
    wolverine.UseIdempotencyKeys();
    wolverine.ConfigureWebhooks(configuration);
});
// Messaging and the event feeds start once PostgreSQL answers, so the service itself starts without it.
builder.Services.HoldBackDatabaseServices();

// Each slice's services.
builder.Services.AddApiConventions();                    // JSON, problem details, the clock
builder.Services.AddSecrets();                           // Secrets:MasterKey seals signing keys and webhook secrets
builder.Services.AddDatabaseErrors();                    // database away -> 503, a value it refuses -> 400
builder.Services.AddAccounts(configuration);             // API keys: authentication, scopes, rate limits
builder.Services.AddProducts();                          // a product's reads: the stored document's JSON, reshaped as it passes
builder.Services.AddPolicies();                          // a live policy keeps the entitlements it grants
builder.Services.AddLicenses(configuration);             // license keys drawn at random, unique service-wide
builder.Services.AddValidation();                        // a license and all its verdict consults, in one read
builder.Services.AddActivity();                          // validations counted per product and day, for the console's chart
builder.Services.AddMachines();                          // heartbeat rows, rewritten in place; the sweep of dead machines
builder.Services.AddLeases();                            // the sweep of expired leases
builder.Services.AddSigningKeys(configuration);          // per-account Ed25519 keys that sign license files
builder.Services.AddWebhooks(configuration);             // the HTTP client that delivers
builder.Services.AddApiReference();                      // /openapi/v1.json and /docs
builder.Services.AddHealth();                            // /health/live and /health/ready
builder.Services.AddStandbyReads(configuration);         // Database:ReadFromStandby: lists and the event log from a standby
builder.Services.AddRequestLogLines();                   // the request log's JSON lines, written without the logger's cost
builder.AddTelemetry();                                  // OpenTelemetry over OTLP, when configured
builder.Services.AddWolverineHttp();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = RequestBodies.KestrelMaxBytes; // a cap far above the contract's 64 KiB (Http/RequestBodies.cs)
});

builder.Services.WithoutAKeyRingAtStart();                // data protection, which nothing uses, loads no key ring at start

var app = builder.Build();

// The edge (Http/): what every request meets, in order. Seven ASP.NET Core stages, then the endpoint.
app.UseMiddleware<RequestLog>();         // 1. one line per request, timed around all of it, never a key or a body
app.UseClientAddresses();                //    X-Forwarded-For, only behind a proxy named in ForwardedHeaders:KnownProxies
app.UseExceptionHandler();               // 2. an exception -> problem details: database away 503, a value it refuses 400
app.UseStatusCodePages();                // 3. an empty 404/405/415 -> problem details
app.UseRateLimiter();                    // 4. a token bucket per key remembered as valid, else per address -> 429, before any lookup
app.UseAuthentication();                 // 5. API key or license key -> account (the tenant) and scopes
app.UseAuthorization();                  // 6. scope policies -> 401 / 403
app.UseMiddleware<Repeats>();            // 7. Idempotency-Key checked, a replay marked; a request that lost a race, or a read
                                         //    its standby could not answer, runs again

app.MapHealth();
app.MapApiReference();
app.MapPortal();                         // /portal (license holders) and /console (the vendor's support desk)

// 8. The endpoint: Wolverine's generated code, which runs the edge's middleware first, in this order.
app.MapWolverineEndpoints(http =>
{
    // The account of the API key is the tenant: Marten sessions opened for an endpoint see only its data.
    http.TenantId.IsClaimTypeNamed(CatalogClaims.AccountId);
    // A query value that does not parse is a 400 naming it, never silently "absent".
    http.RejectUnparseableQueryValues = true;
    http.Policies.Add(StartingGate.OnEveryEndpoint);  // 503 until messaging has started (database away at start)
    http.Policies.Add(NilIds.NameNothing);            // the all-zeros id names nothing: 404
    http.Policies.Add(RequestBodies.OnEveryBody);     // JSON (415) of at most 64 KiB (413), held for Wolverine to read once
    http.Policies.Add(Pagination.OnEveryList);        // a list's query checked once, from its [AsParameters] page request
    // Every POST that changes something takes an Idempotency-Key (Wolverine's [DeduplicatedWithResponse]).
    http.Policies.Add(new IdempotentPosts(claimInTransaction: !Database.IsSharded(configuration)));
    http.Policies.Add(StandbyReads.LaggingReadSessions); // [ReadMayLag] reads through a session of their own, from a standby when configured
    http.Policies.Add(StandbyReads.PrimaryReadSessions); // [ReadOnPrimary] reads through a plain query session: no outbox, no transaction
    http.Policies.Add(StandbyReads.PrimaryReadSources);  // ... or, running its own SQL, on its account's Npgsql source: no session at all
    http.Policies.Add(StandbyReads.LaggingReadSources);
    http.Policies.Add(WriteSessions.WithoutAnOutbox);    // a write that sends nothing commits through a plain session: no outbox
});

// With --json, standard output carries the JSON alone: the command line's own chatter goes to standard error.
if (args.Contains("--json"))
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

// Serving is the common case and the one that must start fast: it skips the command line's scan of every
// assembly for commands (≈0.2 s). Anything else (db-apply, accounts, codegen, ...) goes to the command line.
if (args.Length == 0)
{
    // Without the master key the service could neither sign a license file nor a webhook: it does not start.
    if (SecretBox.Problem(app.Configuration) is { } missing)
    {
        Console.Error.WriteLine(missing);
        return 1;
    }
    await app.RunAsync();
    return 0;
}
// `describe` shows every configuration value: never the master key or a database password.
app.Configuration.MaskSecretsWhenDescribing(args);
// JasperFx prints "Searching '<assembly>' for commands" for every assembly it scans unless its extensions were applied
// (a process-wide latch); we have none to apply, so the latch is set on an empty service collection and the
// command line prints only what the operator asked for.
new JasperFx.CommandLine.CommandFactory().ApplyExtensions(new ServiceCollection());
return await app.RunJasperFxCommands(args);

public partial class Program;
