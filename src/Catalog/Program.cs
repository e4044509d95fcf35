using Catalog.Accounts;
using Catalog.Infrastructure;
using Catalog.Licenses;
using Catalog.Webhooks;
using JasperFx;
using Spectre.Console;
using Wolverine.Http;

// Catalog: products and license keys for software vendors, event sourced on Marten and Wolverine.
// With no arguments this runs the web server; with arguments it is the admin command line
// (accounts, api-keys, db-apply, projections, ...).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json is found beside the executable, whatever the working directory.
    ContentRootPath = AppContext.BaseDirectory
});

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.ConfigureSystemTextJsonForWolverineOrMinimalApi(json => ApiJson.Configure(json.SerializerOptions));
builder.Services.AddCatalogProblemDetails();
builder.Services.AddApiKeyAuthentication();
builder.Services.AddCatalogRateLimits(builder.Configuration);
builder.Services.AddCatalogHealth();
builder.Services.AddCatalogOpenApi();
builder.Services.AddLicenses();
builder.Services.AddIdempotency();
builder.Services.AddWebhooks(builder.Configuration);
builder.AddCatalogDatabase();
builder.AddCatalogTelemetry();
builder.Services.AddWolverineHttp();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

var app = builder.Build();

app.UseMiddleware<RequestLog>(); // one line per request, never a key or a body
app.UseExceptionHandler();      // database failures -> 409 / 503 problem details
app.UseStatusCodePages();       // empty 404/405/415 answers -> problem details
app.UseAuthentication();        // API key -> account and scopes
app.UseRateLimiter();           // a token bucket per API key -> 429
app.UseAuthorization();         // scope policies -> 401 / 403
app.UseMiddleware<NilIds>();        // the all-zeros id names nothing: 404
app.UseMiddleware<RequestBodies>(); // 415 / 413 / 400 for bodies, before Wolverine binds them
app.UseMiddleware<Idempotency>();   // Idempotency-Key: the first answer again, never the work twice
app.UseMiddleware<ContentionRetry>(); // a transaction lost to contention runs again, unseen by the client

app.MapCatalogHealth();
app.MapCatalogDocs();           // /openapi/v1.json and the reference page at /docs

app.MapWolverineEndpoints(options =>
{
    // The account of the API key is the tenant: Marten sessions opened for an endpoint see only its data.
    options.TenantId.IsClaimTypeNamed(CatalogClaims.AccountId);
});

// With --json, standard output carries the JSON alone: the command line's own chatter goes to standard error.
if (args.Contains("--json"))
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

// Serving is the common case and the one that must start fast: it skips the command line's scan of every
// assembly for commands (≈0.2 s). Anything else (db-apply, accounts, codegen, ...) goes to the command line.
if (args.Length == 0)
{
    await app.RunAsync();
    return 0;
}
return await app.RunJasperFxCommands(args);

public partial class Program;
