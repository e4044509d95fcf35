using Catalog.Http;
using System.ComponentModel;
using Catalog.Accounts;
using Catalog.Conventions;

namespace Catalog.Products;

/// <summary>Any of the mutable fields; a field left out stays as it is. <c>code</c> may be sent only unchanged.</summary>
public record UpdateProduct(
    [property: StringLength(ProductRules.NameMaxLength, MinimumLength = 1), Description(ProductRules.NameRule)] Optional<string> Name,
    [property: Description("Only the product's own code, unchanged: codes are immutable.")] Optional<string> Code,
    [property: MaxLength(ProductRules.DescriptionMaxLength), Description("null clears it.")] Optional<string> Description,
    [property: RegularExpression(ProductRules.KeyPrefixPattern), Description(ProductRules.KeyPrefixRule)] Optional<string> KeyPrefix,
    [property: Description("Replaced whole; null empties it.")] Optional<Dictionary<string, JsonElement>> Metadata);

[Tags("Products")]
public static class UpdateProductEndpoint
{
    public static ProblemDetails Validate(UpdateProduct command, Product product)
    {
        if (product.IsDeleted) return Problems.Status(409, "The product has been deleted and can no longer be changed.");

        var errors = new ValidationErrors();
        if (command.Name.IsPresent) ProductRules.Name(errors, command.Name.Value);
        if (command.Code.IsPresent && command.Code.Value != product.Code)
            errors.Add("code", "cannot be changed after the product is created");
        if (command.Description.IsPresent) ProductRules.Description(errors, command.Description.Value);
        if (command.KeyPrefix.IsPresent)
        {
            if (command.KeyPrefix.Value is null) errors.Add("keyPrefix", "must be 2-10 uppercase letters A-Z");
            else ProductRules.KeyPrefix(errors, command.KeyPrefix.Value);
        }
        if (command.Metadata.IsPresent) MetadataRules.Check(errors, command.Metadata.Value);
        return errors.ToProblem();
    }

    /// <summary>
    /// Wolverine loads the product's stream under an exclusive lock (so concurrent writers to one product queue
    /// instead of failing), runs Validate, then appends what this returns and commits. A request that changes
    /// nothing appends nothing. Metadata is replaced whole; null metadata empties it.
    /// </summary>
    [WolverinePatch("/api/v1/products/{id}", OperationId = "updateProduct", Summary = "Change a product")]
    [Authorize(Scopes.ProductsWrite)]
    [Refuses(409, "The product has been deleted.")]
    [RetryOnContention]
    public static (Resource<ProductDetails>, Events) Patch(
        UpdateProduct command,
        [Aggregate("id", LoadStyle = ConcurrencyStyle.Exclusive)] Product product,
        TimeProvider time)
    {
        var name = command.Name.Or(product.Name)!;
        var description = command.Description.Or(product.Description);
        var keyPrefix = command.KeyPrefix.Or(product.KeyPrefix)!;
        var metadata = command.Metadata.IsPresent ? command.Metadata.Value ?? [] : product.Metadata;

        var unchanged = name == product.Name && description == product.Description && keyPrefix == product.KeyPrefix
                        && MetadataRules.Same(metadata, product.Metadata);
        if (unchanged) return (new Resource<ProductDetails>(ProductDetails.From(product)), []);

        var updated = new ProductUpdated(product.Id, name, description, keyPrefix, metadata, time.UtcNow());
        return (new Resource<ProductDetails>(ProductDetails.From(product.Apply(updated))), [updated]);
    }
}
