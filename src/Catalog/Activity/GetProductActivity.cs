using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;
using Catalog.Http;
using Catalog.Products;

namespace Catalog.Activity;

/// <summary>One day of a product's activity.</summary>
public record DayActivity(
    [property: Description("The UTC day, e.g. 2026-12-07.")] DateOnly Day,
    [property: Description("Machines activated that day (machine.activated).")] long Activations,
    [property: Description("Validations answered that day, by the vendor's and the client's validate (recorded within a minute).")] long Validations);

[Tags("Products")]
public static class GetProductActivityEndpoint
{
    public const int MostDays = 90;

    public static ProblemDetails Validate(HttpRequest request, int? days)
    {
        var errors = new ValidationErrors();
        if (request.Query.ContainsKey("days") && days is not (>= 1 and <= MostDays)) errors.Add("days", $"must be a whole number of days from 1 to {MostDays}");
        return errors.ToProblem();
    }

    public static Task<Product?> LoadAsync(Guid id, IQuerySession session, CancellationToken token) => session.LoadAsync<Product>(id, token);

    /// <summary>
    /// The product's activations and validations per UTC day, oldest first, today last, every day listed (zero when
    /// nothing happened). Activations are projected from the event store, a few seconds behind; validations are the
    /// nodes' recorded counts, up to <c>Activity:RecordEvery</c> behind. One statement, by primary keys.
    /// </summary>
    [WolverineGet("/api/v1/products/{id}/activity", OperationId = "getProductActivity", Summary = "Get a product's activations and validations per day")]
    [Authorize(Scopes.ProductsRead)]
    [ReadOnPrimary]
    public static async Task<Resource<IReadOnlyList<DayActivity>>?> Get(Product? product,
        [Description($"How many days, today included: 1 to 90, default 14.")] int? days, IQuerySession session, TimeProvider time,
        CancellationToken token)
    {
        if (product is null) return null;
        var today = ProductActivations.DayOf(time.GetUtcNow());
        var first = today.AddDays(1 - (days ?? 14));
        await using var command = new NpgsqlCommand($"""
            with days as (select $3::date + n as day from generate_series(0, $4::date - $3::date) as n)
            select d.day, coalesce((a.data ->> 'Activations')::bigint, 0), coalesce(v.validations, 0)
            from days d
            left join {session.DocumentStore.Options.Schema.For<ProductActivations>()} a
                on a.tenant_id = $1 and a.id = $2::text || ':' || to_char(d.day, 'YYYY-MM-DD')
            left join {session.DocumentStore.Options.DatabaseSchemaName}.{ValidationCounts.Table} v
                on v.tenant_id = $1 and v.product_id = $2 and v.day = d.day
            order by d.day
            """)
        {
            Parameters = { new() { Value = session.TenantId }, new() { Value = product.Id }, new() { Value = first }, new() { Value = today } }
        };
        var activity = new List<DayActivity>();
        await using var reader = await session.ExecuteReaderAsync(command, token);
        while (await reader.ReadAsync(token))
            activity.Add(new DayActivity(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2)));
        return new(activity);
    }
}
