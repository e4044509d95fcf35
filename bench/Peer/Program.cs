// The hand-written peer of the service for bench/run: the same SQL the service sends (bench/sql/), the same JSON
// answers, on a minimal ASP.NET Core app over Npgsql with nothing else (no authentication, tenancy, request log,
// problem details, idempotency or event store library). The tenant is fixed (BENCH_TENANT), as if every request
// carried the bench's key.
using System.Text.Json;
using Catalog.Conventions;
using Catalog.Heartbeats;
using Catalog.Http;
using Catalog.Leases;
using Catalog.Licenses;
using Catalog.Machines;
using Catalog.Products;
using Catalog.Validation;
using Npgsql;
using NpgsqlTypes;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var dataSource = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("ConnectionStrings__Catalog")
                                         + ";Max Auto Prepare=64;No Reset On Close=true");
var tenant = Environment.GetEnvironmentVariable("BENCH_TENANT") ?? throw new InvalidOperationException("BENCH_TENANT is not set");
var stored = new JsonSerializerOptions(); // the documents' own JSON, as Marten writes it (property names as declared)
var api = ApiJson.Options;
var keys = new LicenseKeys();

app.MapGet("/api/v1/products/{id:guid}", async (Guid id) =>
{
    await using var command = dataSource.CreateCommand(
        "select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where id = $1 and d.tenant_id = $2");
    command.Parameters.Add(new() { Value = id });
    command.Parameters.Add(new() { Value = tenant });
    await using var reader = await command.ExecuteReaderAsync();
    if (!await reader.ReadAsync()) return Results.NotFound();
    var product = JsonSerializer.Deserialize<Product>(reader.GetString(1), stored)!;
    return Results.Json(new Resource<ProductDetails>(ProductDetails.From(product)), api);
});

app.MapGet("/api/v1/products", async (int? limit) =>
{
    var take = limit ?? 25;
    await using var command = dataSource.CreateCommand(
        "select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where (d.tenant_id = $1 and d.data ->> 'DeletedAt' is null) order by d.id desc LIMIT $2");
    command.Parameters.Add(new() { Value = tenant });
    command.Parameters.Add(new() { Value = take + 1 });
    var products = new List<Product>();
    await using (var reader = await command.ExecuteReaderAsync())
        while (await reader.ReadAsync()) products.Add(JsonSerializer.Deserialize<Product>(reader.GetString(1), stored)!);
    return Results.Json(Pagination.Of(products, take, ProductSummary.From, x => x.Id.ToString()), api);
});

// The service's one read of a license (Validation/LicenseInOneRead.cs), by key (validation) or by id: its product, its
// policy, its machine of a fingerprint (active, or recorded dead) with its heartbeat row, and, with an instant, its
// leases live then. The same text as the service's, so that PostgreSQL sees the same statements.
const string licenseInOneReadSelect = """
    select l.data, p.data, pol.data, m.data, h.data, leases.live
    from catalog.mt_doc_license l
    left join catalog.mt_doc_product p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid)
    left join catalog.mt_doc_policy pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid)
    left join lateral (
        select m.id, m.data from catalog.mt_doc_machine m
        where $3::text is not null and m.tenant_id = l.tenant_id and CAST(m.data ->> 'LicenseId' as uuid) = l.id
          and m.data ->> 'Fingerprint' = $3 and (m.data ->> 'DeactivatedAt' is null or m.data ->> 'DiedAt' is not null)
        order by m.data ->> 'DeactivatedAt' nulls first
        limit 1) m on true
    left join catalog.mt_doc_machineheartbeat h on h.tenant_id = l.tenant_id and h.id = m.id
    left join lateral (
        select count(*)::int as live from catalog.mt_doc_lease x
        where $4::timestamptz is not null and x.tenant_id = l.tenant_id and x.license_id = l.id
          and CAST(x.data ->> 'ExpiresAt' as timestamptz) > $4) leases on true
    where l.tenant_id = $1 and
    """;
const string licenseInOneReadByKey = licenseInOneReadSelect + " l.data ->> 'Key' = $2";
const string licenseInOneRead = licenseInOneReadSelect + " l.id = $2";
NpgsqlParameter[] LicenseInOneReadParameters(object license, string? fingerprint, DateTimeOffset? leasesLiveAt) =>
[
    new() { Value = tenant }, new() { Value = license },
    new() { Value = (object?)fingerprint ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
    new() { Value = (object?)leasesLiveAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz }
];
Consulted? ReadConsulted(NpgsqlDataReader reader)
{
    T? Read<T>(int index) where T : class => reader.IsDBNull(index) ? null : JsonSerializer.Deserialize<T>(reader.GetString(index), stored);
    return new(Read<License>(0)!, Read<Product>(1), Read<Catalog.Policies.Policy>(2), Read<Machine>(3), Read<MachineHeartbeat>(4), reader.GetInt32(5));
}

app.MapPost("/api/v1/licenses/validate", async (HttpRequest request) =>
{
    var body = await JsonSerializer.DeserializeAsync<ValidateLicense>(request.Body, api);
    var key = body!.Key!.Trim().ToUpperInvariant();
    // The service's one statement, by key: the license with its product, its policy and (with a fingerprint) that
    // machine, active or recorded dead, with its heartbeat row; no lease count asked for.
    Consulted? found = null;
    if (LicenseKeys.IsWellFormed(key))
    {
        await using var command = dataSource.CreateCommand(licenseInOneReadByKey);
        command.Parameters.AddRange(LicenseInOneReadParameters(key, body.Fingerprint, null));
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync()) found = ReadConsulted(reader);
    }
    var now = DateTimeOffset.UtcNow;
    // What the service makes of the row (LicenseInOneRead.Read): a machine recorded dead is no machine, but its fingerprint is known.
    var died = found?.Machine?.DiedAt is not null;
    var consulted = found is null ? null
        : new LicenseConsulted(found.License, found.Product, found.Policy, died ? null : found.Machine, found.Heartbeat, found.LiveLeases)
            { RecordedDead = died };
    return Results.Json(new Resource<LicenseValidation>(LicenseVerdict.Judge(consulted?.License, consulted?.Product, consulted?.Policy, now,
        body.Question, consulted?.FingerprintKnown == true, consulted?.MachineDeadAt(now) == true)), api);
});

app.MapPost("/api/v1/products", async (HttpRequest request) =>
{
    var body = (await JsonSerializer.DeserializeAsync<CreateProduct>(request.Body, api))!;
    if (string.IsNullOrWhiteSpace(body.Name) || string.IsNullOrWhiteSpace(body.Code)) return Results.BadRequest();
    var now = DateTimeOffset.UtcNow.ToMilliseconds();
    var accountId = Guid.Parse(tenant);
    var created = new ProductCreated(Guid.CreateVersion7(), accountId, body.Name, body.Code, body.Description,
        body.KeyPrefix ?? Product.DefaultKeyPrefix, body.Metadata ?? [], now);
    var product = Product.Create(created);

    // One round trip for the three writes, then COMMIT: as the service does.
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    await using var batch = new NpgsqlBatch(connection, transaction);
    batch.BatchCommands.Add(new("insert into catalog.mt_streams (id, type, version, timestamp, tenant_id) values ($1, 'product', 1, now(), $2)")
        { Parameters = { new() { Value = product.Id }, new() { Value = tenant } } });
    batch.BatchCommands.Add(new(
        "insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
        "values (nextval('catalog.mt_events_sequence'), $1, $2, 1, $3, 'product_created', $4, now(), 'Catalog.Products.ProductCreated', false)")
        {
            Parameters =
            {
                new() { Value = Guid.CreateVersion7() }, new() { Value = product.Id },
                new() { Value = JsonSerializer.Serialize(created, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = tenant }
            }
        });
    batch.BatchCommands.Add(new(
        "insert into catalog.mt_doc_product (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified) values ($1, $2, $3, 1, 'Catalog.Products.Product', transaction_timestamp())")
        {
            Parameters =
            {
                new() { Value = tenant }, new() { Value = product.Id },
                new() { Value = JsonSerializer.Serialize(product, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }
            }
        });
    try
    {
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
    {
        return Results.Conflict();
    }
    request.HttpContext.Response.Headers.Location = $"/api/v1/products/{product.Id}";
    return Results.Json(new Resource<ProductDetails>(ProductDetails.From(product)), api, statusCode: 201);
});

app.MapPost("/api/v1/products/{id:guid}/licenses", async (Guid id, HttpRequest request) =>
{
    // The product stream's lock and the product, then the writes in one round trip, then COMMIT: as the service does.
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    Product? product;
    int version;
    await using (var locked = new NpgsqlCommand(
                     "select s.version, d.data from catalog.mt_streams s join catalog.mt_doc_product d on d.id = s.id and d.tenant_id = s.tenant_id " +
                     "where s.id = $1 and s.tenant_id = $2 for update of s", connection, transaction))
    {
        locked.Parameters.Add(new() { Value = id });
        locked.Parameters.Add(new() { Value = tenant });
        await using var reader = await locked.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return Results.NotFound();
        version = reader.GetInt32(0);
        product = JsonSerializer.Deserialize<Product>(reader.GetString(1), stored);
    }
    if (product is null || product.IsDeleted) return Results.NotFound();

    var now = DateTimeOffset.UtcNow.ToMilliseconds();
    var issued = new LicenseIssued(Guid.CreateVersion7(), product.Id, keys.Next(product.KeyPrefix), null, [], now);
    var license = License.Create(issued, Guid.Parse(tenant));
    await using var batch = new NpgsqlBatch(connection, transaction);
    batch.BatchCommands.Add(new("update catalog.mt_streams set version = $1, timestamp = now() where id = $2 and tenant_id = $3")
        { Parameters = { new() { Value = version + 1 }, new() { Value = product.Id }, new() { Value = tenant } } });
    batch.BatchCommands.Add(new(
        "insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
        "values (nextval('catalog.mt_events_sequence'), $1, $2, $3, $4, 'license_issued', $5, now(), 'Catalog.Licenses.LicenseIssued', false)")
        {
            Parameters =
            {
                new() { Value = Guid.CreateVersion7() }, new() { Value = product.Id }, new() { Value = version + 1 },
                new() { Value = JsonSerializer.Serialize(issued, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = tenant }
            }
        });
    batch.BatchCommands.Add(new(
        "insert into catalog.mt_doc_license (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified) values ($1, $2, $3, 1, 'Catalog.Licenses.License', transaction_timestamp())")
        {
            Parameters =
            {
                new() { Value = tenant }, new() { Value = license.Id },
                new() { Value = JsonSerializer.Serialize(license, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }
            }
        });
    batch.BatchCommands.Add(new(
        "update catalog.mt_doc_product set data = jsonb_set(data, '{LicensesCount}', to_jsonb((data ->> 'LicensesCount')::int + 1)), " +
        "mt_version = mt_version + 1, mt_last_modified = transaction_timestamp() where id = $1 and tenant_id = $2")
        { Parameters = { new() { Value = product.Id }, new() { Value = tenant } } });
    await batch.ExecuteNonQueryAsync();
    await transaction.CommitAsync();
    request.HttpContext.Response.Headers.Location = $"/api/v1/licenses/{license.Id}";
    return Results.Json(new Resource<LicenseDetails>(LicenseDetails.From(license, null, now)), api, statusCode: 201);
});

// The license key's license, as the service's key directory keeps it in memory.
var licenseOfKey = new System.Collections.Concurrent.ConcurrentDictionary<string, Guid>();
async Task<Guid?> LicenseOf(HttpRequest request)
{
    var key = request.Headers.Authorization.ToString()["License ".Length..].Trim().ToUpperInvariant();
    if (licenseOfKey.TryGetValue(key, out var licenseId)) return licenseId;
    await using var find = dataSource.CreateCommand("select d.id from catalog.mt_doc_license as d where d.data ->> 'Key' = $1");
    find.Parameters.Add(new() { Value = key });
    if (await find.ExecuteScalarAsync() is not Guid found) return null;
    return licenseOfKey[key] = found;
}

app.MapPost("/api/v1/client/machines", async (HttpRequest request) =>
{
    var command = (await JsonSerializer.DeserializeAsync<ActivateMachine>(request.Body, api))!;
    if (await LicenseOf(request) is not { } licenseId) return Results.Unauthorized();

    // The license stream's lock with the seats, the license and its product in one round trip; the decision; the
    // writes in one round trip (event, machine, its heartbeat row, license count, seats); COMMIT.
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    int version;
    LicenseSeats seats;
    License license;
    Product? product;
    await using (var read = new NpgsqlBatch(connection, transaction))
    {
        read.BatchCommands.Add(new("select s.version from catalog.mt_streams s where s.id = $1 and s.tenant_id = $2 for update")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        read.BatchCommands.Add(new("select d.data from catalog.mt_doc_licenseseats d where d.id = $1 and d.tenant_id = $2")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        read.BatchCommands.Add(new(
            "select l.data, p.data from catalog.mt_doc_license l left join catalog.mt_doc_product p on p.id = (l.data ->> 'ProductId')::uuid and p.tenant_id = l.tenant_id " +
            "where l.id = $1 and l.tenant_id = $2")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        await using var reader = await read.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return Results.NotFound();
        version = reader.GetInt32(0);
        await reader.NextResultAsync();
        seats = await reader.ReadAsync() ? JsonSerializer.Deserialize<LicenseSeats>(reader.GetString(0), stored)! : new LicenseSeats { Id = licenseId };
        await reader.NextResultAsync();
        if (!await reader.ReadAsync()) return Results.NotFound();
        license = JsonSerializer.Deserialize<License>(reader.GetString(0), stored)!;
        product = reader.IsDBNull(1) ? null : JsonSerializer.Deserialize<Product>(reader.GetString(1), stored);
    }
    var decision = MachineRules.Activate(command, license, product, seats, DateTimeOffset.UtcNow.ToMilliseconds());
    if (decision.Activated is not { } activated) return Results.StatusCode(decision.Refusal is null ? 200 : 409);
    seats.Apply(activated);
    var machine = Machine.From(activated);
    await using var write = new NpgsqlBatch(connection, transaction);
    write.BatchCommands.Add(new("update catalog.mt_streams set version = $1, timestamp = now() where id = $2 and tenant_id = $3")
        { Parameters = { new() { Value = version + 1 }, new() { Value = licenseId }, new() { Value = tenant } } });
    write.BatchCommands.Add(new(
        "insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
        "values (nextval('catalog.mt_events_sequence'), $1, $2, $3, $4, 'machine_activated', $5, now(), 'Catalog.Licenses.MachineActivated', false)")
        {
            Parameters =
            {
                new() { Value = Guid.CreateVersion7() }, new() { Value = licenseId }, new() { Value = version + 1 },
                new() { Value = JsonSerializer.Serialize(activated, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = tenant }
            }
        });
    write.BatchCommands.Add(new(
        "insert into catalog.mt_doc_machine (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified) values ($1, $2, $3, gen_random_uuid(), 'Catalog.Licenses.Machine', transaction_timestamp())")
        {
            Parameters =
            {
                new() { Value = tenant }, new() { Value = machine.Id },
                new() { Value = JsonSerializer.Serialize(machine, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }
            }
        });
    // Its heartbeat row, as the service's MachineProjection stores it in the same transaction (Marten's upsert).
    write.BatchCommands.Add(new(
        "insert into catalog.mt_doc_machineheartbeat (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified, license_id) " +
        "values ($1, $2, $3, gen_random_uuid(), 'Catalog.Machines.MachineHeartbeat', transaction_timestamp(), $4) " +
        "on conflict (tenant_id, id) do update set data = excluded.data, mt_version = excluded.mt_version, " +
        "mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified, license_id = excluded.license_id")
        {
            Parameters =
            {
                new() { Value = tenant }, new() { Value = machine.Id },
                new() { Value = JsonSerializer.Serialize(MachineHeartbeat.Of(activated), stored), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = licenseId }
            }
        });
    write.BatchCommands.Add(new(
        "update catalog.mt_doc_license set data = jsonb_set(data, '{MachinesCount}', to_jsonb(coalesce((data ->> 'MachinesCount')::int, 0) + 1)), " +
        "mt_version = mt_version + 1, mt_last_modified = transaction_timestamp() where id = $1 and tenant_id = $2")
        { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
    write.BatchCommands.Add(new(
        "update catalog.mt_doc_licenseseats set data = $1, mt_last_modified = transaction_timestamp() where id = $2 and tenant_id = $3")
        {
            Parameters =
            {
                new() { Value = JsonSerializer.Serialize(seats, stored), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = licenseId }, new() { Value = tenant }
            }
        });
    await write.ExecuteNonQueryAsync();
    await transaction.CommitAsync();
    return Results.Json(new Resource<MachineDetails>(MachineDetails.From(activated, null)), api, statusCode: 201);
});

// A heartbeat: the license's one read, the decision, the machine's heartbeat row rewritten in place (no transaction).
app.MapPost("/api/v1/client/machines/{fingerprint}/heartbeat", async (string fingerprint, HttpRequest request) =>
{
    if (await LicenseOf(request) is not { } licenseId) return Results.Unauthorized();
    var command = await JsonSerializer.DeserializeAsync<SendHeartbeat>(request.Body, api);
    fingerprint = fingerprint.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
    Consulted? found;
    await using (var read = dataSource.CreateCommand(licenseInOneRead))
    {
        read.Parameters.AddRange(LicenseInOneReadParameters(licenseId, fingerprint, null));
        await using var reader = await read.ExecuteReaderAsync();
        found = await reader.ReadAsync() ? ReadConsulted(reader) : null;
    }
    if (found is null) return Results.NotFound();
    var now = DateTimeOffset.UtcNow.ToMilliseconds();
    if (LicensedProduct.Mismatches(found.Product, command?.Product) || found.License.UnusableBecause(found.Product, now) is not null)
        return Results.StatusCode(403);
    if (found.Machine is not { DiedAt: null } machine) return Results.NotFound();
    var beat = found.Heartbeat ?? new MachineHeartbeat(machine.Id, machine.LicenseId, machine.ActivatedAt);
    var (next, refusal) = HeartbeatRules.Beat(beat, found.Policy, now);
    if (refusal is not null) return Results.NotFound();
    await using (var write = dataSource.CreateCommand(found.Heartbeat is null
                     ? "insert into catalog.mt_doc_machineheartbeat (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified, license_id) " +
                       "values ($1, $2, $3::jsonb, gen_random_uuid(), 'Catalog.Machines.MachineHeartbeat', transaction_timestamp(), $4) " +
                       "on conflict (tenant_id, id) do update set data = excluded.data"
                     : "update catalog.mt_doc_machineheartbeat set data = $3::jsonb where tenant_id = $1 and id = $2"))
    {
        write.Parameters.Add(new() { Value = tenant });
        write.Parameters.Add(new() { Value = machine.Id });
        write.Parameters.Add(new() { Value = JsonSerializer.Serialize(next!, stored), NpgsqlDbType = NpgsqlDbType.Jsonb });
        if (found.Heartbeat is null) write.Parameters.Add(new() { Value = machine.LicenseId });
        if (await write.ExecuteNonQueryAsync() != 1) return Results.NotFound(); // recorded dead in between
    }
    return Results.Json(new Resource<HeartbeatDetails>(new(MachineDetails.From(machine, next, found.Policy), next!.ExpiresAt)), api);
});

// The license document's LeasesCount moved by one lease granted (+1) or ended (-1), as its projection does.
void CountLeases(NpgsqlBatch batch, Guid licenseId, int by) =>
    batch.BatchCommands.Add(new(
        "update catalog.mt_doc_license set data = jsonb_set(data, '{LeasesCount}', to_jsonb(coalesce((data ->> 'LeasesCount')::int, 0) + $3)), " +
        "mt_version = mt_version + 1, mt_last_modified = transaction_timestamp() where id = $1 and tenant_id = $2")
        { Parameters = { new() { Value = licenseId }, new() { Value = tenant }, new() { Value = by } } });

// Appends one event to the license's stream (its version read under its row lock, null: no stream yet).
void AppendToLicense(NpgsqlBatch batch, Guid licenseId, long? version, object e, string type)
{
    batch.BatchCommands.Add(version is null
        ? new("insert into catalog.mt_streams (id, type, version, timestamp, tenant_id) values ($1, 'license_seats', 1, now(), $2)")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } }
        : new("update catalog.mt_streams set version = $1, timestamp = now() where id = $2 and tenant_id = $3")
            { Parameters = { new() { Value = version + 1 }, new() { Value = licenseId }, new() { Value = tenant } } });
    batch.BatchCommands.Add(new(
        "insert into catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
        "values (nextval('catalog.mt_events_sequence'), $1, $2, $3, $4, $5, $6, now(), $7, false)")
        {
            Parameters =
            {
                new() { Value = Guid.CreateVersion7() }, new() { Value = licenseId }, new() { Value = (version ?? 0) + 1 },
                new() { Value = JsonSerializer.Serialize(e, e.GetType(), stored), NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = type },
                new() { Value = tenant }, new() { Value = $"{e.GetType().FullName}, Catalog" }
            }
        });
}

// A lease grant, one transaction: the license stream's row lock with the license's one read (its live leases counted)
// in one round trip; the decision; the event, the lease and the license's count in one round trip; COMMIT.
app.MapPost("/api/v1/client/leases", async (HttpRequest request) =>
{
    if (await LicenseOf(request) is not { } licenseId) return Results.Unauthorized();
    var command = await JsonSerializer.DeserializeAsync<RequestLease>(request.Body, api) ?? new();
    if (command.BorrowSeconds is not null) return Results.StatusCode(501); // borrowing (a signed file) is not measured
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    var now = DateTimeOffset.UtcNow.ToMilliseconds();
    long? version;
    Consulted? found;
    await using (var read = new NpgsqlBatch(connection, transaction))
    {
        read.BatchCommands.Add(new("select version from catalog.mt_streams where id = $1 and tenant_id = $2 for update")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        var consult = new NpgsqlBatchCommand(licenseInOneRead);
        consult.Parameters.AddRange(LicenseInOneReadParameters(licenseId, command.Fingerprint, now));
        read.BatchCommands.Add(consult);
        await using var reader = await read.ExecuteReaderAsync();
        version = await reader.ReadAsync() ? reader.GetInt64(0) : null;
        await reader.NextResultAsync();
        found = await reader.ReadAsync() ? ReadConsulted(reader) : null;
    }
    if (found is null) return Results.NotFound();
    var machine = found.Machine is { DiedAt: null } active ? active : null;
    var (granted, refusal) = LeaseRules.Grant(command, found.License, found.Product, found.Policy, machine,
        found.Machine?.DiedAt is not null || machine is not null && HeartbeatRules.IsDead(found.Heartbeat, found.Policy, now), found.LiveLeases, now);
    if (refusal is not null) return Results.StatusCode(refusal.Status ?? 400);
    var lease = Lease.From(granted!);
    await using var write = new NpgsqlBatch(connection, transaction);
    AppendToLicense(write, licenseId, version, granted!, "lease_granted");
    write.BatchCommands.Add(new(
        "insert into catalog.mt_doc_lease (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified, license_id) " +
        "values ($1, $2, $3, gen_random_uuid(), 'Catalog.Licenses.Lease', transaction_timestamp(), $4)")
        {
            Parameters =
            {
                new() { Value = tenant }, new() { Value = lease.Id },
                new() { Value = JsonSerializer.Serialize(lease, stored), NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = licenseId }
            }
        });
    CountLeases(write, licenseId, +1);
    await write.ExecuteNonQueryAsync();
    await transaction.CommitAsync();
    var details = LeaseDetails.From(lease);
    request.HttpContext.Response.Headers.Location = details.Location;
    return Results.Json(new Resource<LeaseDetails>(details), api, statusCode: 201);
});

// A lease released, one transaction: the license stream's row lock, the license with its product and the lease in one
// round trip; the decision; the event, the lease deleted and the license's count in one round trip; COMMIT.
app.MapDelete("/api/v1/client/leases/{id:guid}", async (Guid id, string? product, HttpRequest request) =>
{
    if (await LicenseOf(request) is not { } licenseId) return Results.Unauthorized();
    await using var connection = await dataSource.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    long? version;
    License? license;
    Product? licensed;
    Lease? lease;
    await using (var read = new NpgsqlBatch(connection, transaction))
    {
        read.BatchCommands.Add(new("select version from catalog.mt_streams where id = $1 and tenant_id = $2 for update")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        read.BatchCommands.Add(new(
            "select l.data, p.data from catalog.mt_doc_license l left join catalog.mt_doc_product p on p.id = (l.data ->> 'ProductId')::uuid and p.tenant_id = l.tenant_id " +
            "where l.id = $1 and l.tenant_id = $2")
            { Parameters = { new() { Value = licenseId }, new() { Value = tenant } } });
        read.BatchCommands.Add(new("select d.data from catalog.mt_doc_lease d where d.id = $1 and d.tenant_id = $2")
            { Parameters = { new() { Value = id }, new() { Value = tenant } } });
        await using var reader = await read.ExecuteReaderAsync();
        version = await reader.ReadAsync() ? reader.GetInt64(0) : null;
        await reader.NextResultAsync();
        var exists = await reader.ReadAsync();
        license = exists ? JsonSerializer.Deserialize<License>(reader.GetString(0), stored) : null;
        licensed = exists && !reader.IsDBNull(1) ? JsonSerializer.Deserialize<Product>(reader.GetString(1), stored) : null;
        await reader.NextResultAsync();
        lease = await reader.ReadAsync() ? JsonSerializer.Deserialize<Lease>(reader.GetString(0), stored) : null;
    }
    if (license is null) return Results.NotFound();
    if (LicensedProduct.Mismatches(licensed, product)) return Results.StatusCode(403);
    var now = DateTimeOffset.UtcNow.ToMilliseconds();
    // (A borrowed lease's machine would get its heartbeat clock back here: no lease is borrowed in the bench.)
    if (LeaseRules.Release(lease?.LicenseId == licenseId ? lease : null, license, DeactivationReasons.Client, now) is not { } released)
        return Results.NotFound();
    await using var write = new NpgsqlBatch(connection, transaction);
    AppendToLicense(write, licenseId, version, released, "lease_released");
    write.BatchCommands.Add(new("delete from catalog.mt_doc_lease where id = $1 and tenant_id = $2")
        { Parameters = { new() { Value = id }, new() { Value = tenant } } });
    CountLeases(write, licenseId, -1);
    await write.ExecuteNonQueryAsync();
    await transaction.CommitAsync();
    return Results.NoContent();
});

app.Run();

/// <summary>What the license's one read returns.</summary>
internal sealed record Consulted(License License, Product? Product, Catalog.Policies.Policy? Policy, Machine? Machine, MachineHeartbeat? Heartbeat,
    int LiveLeases);
