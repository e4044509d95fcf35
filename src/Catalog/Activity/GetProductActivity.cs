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
    /// nothing happened). Projected from the event store asynchronously: a few seconds behind.
    /// </summary>
    [WolverineGet("/api/v1/products/{id}/activity", OperationId = "getProductActivity", Summary = "Get a product's activations and validations per day")]
    [Authorize(Scopes.ProductsRead)]
    [ReadOnPrimary]
    public static async Task<Resource<IReadOnlyList<DayActivity>>?> Get(Product? product,
        [Description($"How many days, today included: 1 to 90, default 14.")] int? days, IQuerySession session, TimeProvider time,
        CancellationToken token)
    {
        if (product is null) return null;
        var today = ProductActivity.DayOf(time.GetUtcNow());
        var range = Enumerable.Range(0, days ?? 14).Select(x => today.AddDays(-x)).Reverse().ToList();
        var found = (await session.LoadManyAsync<ProductActivity>(token, range.Select(x => ProductActivity.IdOf(product.Id, x))))
            .ToDictionary(x => x.Day);
        return new(range.Select(day => found.TryGetValue(day, out var a) ? new DayActivity(day, a.Activations, a.Validations) : new DayActivity(day, 0, 0))
            .ToList());
    }
}
