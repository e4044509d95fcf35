using Catalog.Http;
using System.ComponentModel;
using System.Security.Claims;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

/// <summary>A new product. The attributes state the rules for the API description; Validate enforces them.</summary>
[SchemaExample("""
    {"name": "Desktop App Pro", "code": "desktop-app-pro",
     "description": "Professional desktop application with advanced features",
     "keyPrefix": "DSK", "metadata": {"category": "productivity"}}
    """)]
public record CreateProduct(
    [property: Required, StringLength(ProductRules.NameMaxLength, MinimumLength = 1), Description(ProductRules.NameRule)] string? Name,
    [property: Required, RegularExpression(ProductRules.CodePattern), Description(ProductRules.CodeRule)] string? Code,
    [property: MaxLength(ProductRules.DescriptionMaxLength)] string? Description,
    [property: RegularExpression(ProductRules.KeyPrefixPattern), DefaultValue(Product.DefaultKeyPrefix), Description(ProductRules.KeyPrefixRule)]
    string? KeyPrefix,
    Dictionary<string, JsonElement>? Metadata);

[Tags("Products")]
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
    [WolverinePost("/api/v1/products", OperationId = "createProduct", Summary = "Create a product")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "The code is already taken in this account (deleted products keep theirs).")]
    public static (CreatedResource<ProductDetails>, IStartStream) Post(CreateProduct command, ClaimsPrincipal user, TimeProvider time)
    {
        var id = Guid.CreateVersion7();
        var created = new ProductCreated(id, user.Account(), command.Name!, command.Code!, command.Description,
            command.KeyPrefix ?? Product.DefaultKeyPrefix, command.Metadata ?? [], time.UtcNow());

        return (new CreatedResource<ProductDetails>(ProductDetails.From(Product.Create(created))),
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
        e.IsUniqueViolationOf(ProductsConfiguration.CodeIndex);
}
