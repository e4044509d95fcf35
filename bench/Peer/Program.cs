// The hand-written peer of the service for bench/run: the same SQL the service sends (bench/sql/), the same JSON
// answers, on a minimal ASP.NET Core app over Npgsql with nothing else (no authentication, tenancy, request log,
// problem details, idempotency or event store library). The tenant is fixed (BENCH_TENANT), as if every request
// carried the bench's key.
using System.Text.Json;
using Catalog.Conventions;
using Catalog.Http;
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

app.MapPost("/api/v1/licenses/validate", async (HttpRequest request) =>
{
    var body = await JsonSerializer.DeserializeAsync<ValidateLicense>(request.Body, api);
    var key = body!.Key!.Trim().ToUpperInvariant();
    // The service's one statement: the license with its product, its policy and (with a fingerprint) that machine.
    await using var command = dataSource.CreateCommand("""
        select l.data, p.data, pol.data from catalog.mt_doc_license l
        left join catalog.mt_doc_product p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid)
        left join catalog.mt_doc_policy pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid)
        where l.tenant_id = $1 and l.data ->> 'Key' = $2
        """);
    command.Parameters.Add(new() { Value = tenant });
    command.Parameters.Add(new() { Value = key });
    await using var reader = await command.ExecuteReaderAsync();
    License? license = null;
    Product? product = null;
    Catalog.Policies.Policy? policy = null;
    if (await reader.ReadAsync())
    {
        license = JsonSerializer.Deserialize<License>(reader.GetString(0), stored);
        if (!reader.IsDBNull(1)) product = JsonSerializer.Deserialize<Product>(reader.GetString(1), stored);
        if (!reader.IsDBNull(2)) policy = JsonSerializer.Deserialize<Catalog.Policies.Policy>(reader.GetString(2), stored);
    }
    return Results.Json(new Resource<LicenseValidation>(LicenseVerdict.Judge(license, product, policy, DateTimeOffset.UtcNow, body.Question)), api);
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

app.MapPost("/api/v1/client/machines", async (HttpRequest request) =>
{
    var key = request.Headers.Authorization.ToString()["License ".Length..].Trim().ToUpperInvariant();
    var command = (await JsonSerializer.DeserializeAsync<ActivateMachine>(request.Body, api))!;
    if (!licenseOfKey.TryGetValue(key, out var licenseId))
    {
        await using var find = dataSource.CreateCommand("select d.id from catalog.mt_doc_license as d where d.data ->> 'Key' = $1");
        find.Parameters.Add(new() { Value = key });
        if (await find.ExecuteScalarAsync() is not Guid found) return Results.Unauthorized();
        licenseOfKey[key] = licenseId = found;
    }

    // The license stream's lock with the seats, the license and its product in one round trip; the decision; the
    // writes in one round trip (event, machine, license count, seats); COMMIT.
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
    return Results.Json(new Resource<MachineDetails>(MachineDetails.From(machine)), api, statusCode: 201);
});

app.Run();
