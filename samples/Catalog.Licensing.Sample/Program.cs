// A vendor's app, licensed with Catalog.Licensing: it activates on first run, checks its license at each start
// (online, or offline from the cached signed file), keeps its seat with heartbeats (and a lease, for a floating
// license) while it runs, and borrows before going offline. Each outcome is printed.
//
//   dotnet run -- --service http://127.0.0.1:5000 --account <accountId> --product <code> --key <license key>
//                 [--run-seconds 10] [--lease] [--borrow-seconds 3600] [--store <folder>]
using Catalog.Licensing;

var arguments = Arguments.Parse(args);
var options = new LicensingOptions
{
    ServiceUrl = new Uri(arguments.Required("service", "CATALOG_URL")),
    AccountId = Guid.Parse(arguments.Required("account", "CATALOG_ACCOUNT")),
    ProductCode = arguments.Required("product", "CATALOG_PRODUCT"),
    LicenseKey = arguments.Required("key", "LICENSE_KEY"),
};
if (arguments.Optional("store") is { } folder) options.Store = new FileLicenseStore(folder);
using var licensing = new LicensingClient(options);

// README:begin
// Each start: may this machine run?
var check = await licensing.CheckAsync();
Console.WriteLine($"check: {check}");
if (check.Status is LicenseStatus.NotActivated or LicenseStatus.HeartbeatDead)
{
    // First run (or the seat was lost): take a seat, then check again.
    var activation = await licensing.ActivateAsync(new Dictionary<string, string> { ["app"] = "sample" });
    Console.WriteLine(activation.Succeeded ? $"activate: machine {activation.Value!.Id}" : $"activate: refused, {activation.Error}");
    if (!activation.Succeeded) return 2;
    check = await licensing.CheckAsync();
    Console.WriteLine($"check: {check}");
}
switch (check.Status)
{
    case LicenseStatus.Valid:
        break;
    case LicenseStatus.ClockTampered:
        Console.WriteLine("refused: this machine's clock is behind; set it right and start again");
        return 3;
    case LicenseStatus.OfflineGraceEnded or LicenseStatus.NoLicenseFile:
        Console.WriteLine("refused: connect to the internet once to renew the license");
        return 4;
    default:
        Console.WriteLine($"refused: {check.Status} ({check.Error?.Detail})");
        return 5;
}
Console.WriteLine($"entitlements: {string.Join(", ", check.File!.Entitlements)}");

// While running: heartbeats (and a lease), retried through outages; the app hears when the seat is lost and regained.
var keepAlive = new LicenseKeepAlive(licensing, new KeepAliveOptions { Lease = arguments.Flag("lease") });
keepAlive.SeatLost += (_, e) => Console.WriteLine($"seat lost: {e.Error}");
keepAlive.SeatRegained += (_, e) => Console.WriteLine($"seat regained: machine {e.Machine?.Id}");
keepAlive.LeaseLost += (_, e) => Console.WriteLine($"lease lost: {e.Error}");
keepAlive.LeaseRegained += (_, e) => Console.WriteLine($"lease regained: {e.Lease?.Id}");
// README:end
using (var running = new CancellationTokenSource(TimeSpan.FromSeconds(int.Parse(arguments.Optional("run-seconds") ?? "10"))))
{
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; running.Cancel(); };
    var loop = keepAlive.RunAsync(running.Token);
    while (keepAlive.Machine is null && !running.IsCancellationRequested) await Task.Delay(50);
    Console.WriteLine($"running: machine {keepAlive.Machine?.Id}, heartbeat due by {keepAlive.Machine?.HeartbeatExpiresAt?.ToString("u") ?? "never"}");
    await loop;
}

// Before going offline: borrow a lease, whose license file lets the app run offline until it ends.
if (arguments.Optional("borrow-seconds") is { } borrowSeconds)
{
    var borrowed = await licensing.AcquireLeaseAsync(TimeSpan.FromSeconds(int.Parse(borrowSeconds)));
    Console.WriteLine(borrowed.Succeeded ? $"borrowed: until {borrowed.Value!.ExpiresAt:u}" : $"borrow: refused, {borrowed.Error}");
}
var offline = await licensing.CheckOfflineAsync();
Console.WriteLine($"offline: {offline}");
return offline.IsValid ? 0 : 6;

/// <summary>--name value pairs and --flags, with environment variables as fallbacks.</summary>
internal sealed class Arguments(Dictionary<string, string?> values)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string?>();
        for (var i = 0; i < args.Length; i++)
            if (args[i].StartsWith("--", StringComparison.Ordinal))
                values[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
        return new Arguments(values);
    }

    public string? Optional(string name) => values.TryGetValue(name, out var value) ? value : null;

    public bool Flag(string name) => values.ContainsKey(name);

    public string Required(string name, string variable) =>
        Optional(name) ?? Environment.GetEnvironmentVariable(variable) ?? throw new ArgumentException($"--{name} (or {variable}) is required");
}
