using Catalog.Hosting;
using JasperFx.Events.Projections;

namespace Catalog.Products;

/// <summary>Products: one event stream each, and the product read model projected inline from it.</summary>
public static class ProductsConfiguration
{
    /// <summary>Codes are unique per account, whatever their case, deleted products included (a code stays reserved).</summary>
    public const string CodeIndex = "mt_doc_product_uidx_code";

    /// <summary>The statements of a product's reads, answered from the stored JSON (ProductAnswers.cs).</summary>
    public static IServiceCollection AddProducts(this IServiceCollection services) => services.AddSingleton<ProductAnswers>();

    public static StoreOptions ConfigureProducts(this StoreOptions options)
    {
        options.Projections.Snapshot<Product>(SnapshotLifecycle.Inline);
        options.Schema.For<Product>().UniqueCodePerAccount(x => x.Code, CodeIndex);
        // The list shows products not deleted, newest first: its own index, so that an account's deleted products,
        // however many, are never read to find its live ones.
        return options.IndexDocuments<Product>(new Weasel.Postgresql.Tables.IndexDefinition("mt_doc_product_idx_tenant_id_id_live")
            { Columns = ["tenant_id", "id"], Predicate = "(data ->> 'DeletedAt'::text) IS NULL" });
    }
}
