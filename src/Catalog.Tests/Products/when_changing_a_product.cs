using Catalog.Conventions;
using Catalog.Products;

namespace Catalog.Tests.Products;

public class when_changing_a_product
{
    private readonly Product _product = Given.ADesktopProduct();

    private static UpdateProduct Change(Optional<string> name = default, Optional<string> description = default,
        Optional<string> keyPrefix = default, Optional<Dictionary<string, JsonElement>> metadata = default, Optional<string> code = default) =>
        new(name, code, description, keyPrefix, metadata);

    [Fact]
    public void a_patch_that_changes_nothing_appends_no_event_and_keeps_updatedAt()
    {
        var sameMetadata = new Dictionary<string, JsonElement> { ["category"] = JsonSerializer.SerializeToElement("productivity") };
        var command = Change(name: new(true, _product.Name), keyPrefix: new(true, "DSK"), metadata: new(true, sameMetadata));

        var (shown, events) = UpdateProductEndpoint.Patch(command, _product, Given.Clock);

        Assert.Empty(events);
        Assert.Equal(_product.UpdatedAt, shown.Data.UpdatedAt);
    }

    [Fact]
    public void the_fields_sent_change_and_the_event_carries_the_full_new_values()
    {
        var (shown, events) = UpdateProductEndpoint.Patch(Change(name: new(true, "Desktop App Pro 2"), description: new(true, null)), _product, Given.Clock);

        var updated = Assert.IsType<ProductUpdated>(Assert.Single(events));
        Assert.Equal(("Desktop App Pro 2", null, "DSK"), (updated.Name, updated.Description, updated.KeyPrefix));
        Assert.Equal(_product.Metadata, updated.Metadata);
        Assert.Equal(Given.Now, shown.Data.UpdatedAt);
    }

    [Fact]
    public void null_metadata_empties_it()
    {
        var (_, events) = UpdateProductEndpoint.Patch(Change(metadata: new(true, null)), _product, Given.Clock);

        Assert.Empty(Assert.IsType<ProductUpdated>(Assert.Single(events)).Metadata);
    }

    [Fact]
    public void a_deleted_product_is_refused_and_a_new_code_is_refused_naming_code()
    {
        Assert.Equal(409, UpdateProductEndpoint.Validate(Change(name: new(true, "x")), Given.ADeletedProduct()).Status);

        var problem = UpdateProductEndpoint.Validate(Change(code: new(true, "another-code")), _product);
        Assert.Contains("code", ((Microsoft.AspNetCore.Http.HttpValidationProblemDetails)problem).Errors.Keys);
    }
}
