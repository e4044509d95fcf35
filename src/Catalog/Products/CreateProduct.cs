using System.Security.Claims;
using System.Text.Json;
using Catalog.Accounts;
using Catalog.Conventions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;
using Wolverine.Marten;

namespace Catalog.Products;

public record CreateProduct(
    string? Name,
    string? Code,
    string? Description,
    string? KeyPrefix,
    Dictionary<string, JsonElement>? Metadata);

public static class CreateProductEndpoint
{
    // Wolverine runs Validate first and answers its problem details without calling Post when there are any.
    public static ProblemDetails Validate(CreateProduct command)
    {
        var errors = new ValidationErrors();
        ProductRules.Name(errors, command.Name);
        ProductRules.Code(errors, command.Code);
        ProductRules.Description(errors, command.Description);
        ProductRules.KeyPrefix(errors, command.KeyPrefix);
        MetadataRules.Check(errors, command.Metadata);
        return errors.ToProblem();
    }

    /// <summary>
    /// Starts the product's stream with <see cref="ProductCreated"/>. Wolverine appends it and commits; the inline
    /// projection writes the read model in that same transaction, where the unique index on (account, lower(code))
    /// refuses a taken code (answered 409 by <see cref="OnException"/>).
    /// </summary>
    [WolverinePost("/api/v1/products")]
    [Authorize(Scopes.ProductsWrite)]
    public static (Created<ProductDetails>, IStartStream) Post(CreateProduct command, ClaimsPrincipal user, TimeProvider time)
    {
        var id = Guid.CreateVersion7();
        var created = new ProductCreated(id, user.Account(), command.Name!, command.Code!, command.Description,
            command.KeyPrefix ?? Product.DefaultKeyPrefix, command.Metadata ?? [], time.UtcNow());

        return (new Created<ProductDetails>(ProductDetails.From(Product.Create(created))),
            MartenOps.StartStream<Product>(id, created));
    }

    /// <summary>
    /// A code taken in the account (deleted products keep theirs): the unique index refused it at commit. Wolverine
    /// wraps the whole chain, the commit included, in a catch for this, with the command in scope.
    /// </summary>
    public static ProblemDetails OnException(Exception e, CreateProduct command) =>
        Problems.Status(409, $"The code '{command.Code}' is already taken in this account.");

    /// <summary>Only the code index's violation; any other failure goes on to the service's own handling.</summary>
    public static bool OnExceptionFilter(Exception e) =>
        e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: ProductsConfiguration.CodeIndex };
}
