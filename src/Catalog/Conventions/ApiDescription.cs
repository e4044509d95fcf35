namespace Catalog.Conventions;

/// <summary>A type's name in the OpenAPI document: <c>Product</c>, not <c>ProductDetails</c> (and <c>ProductResponse</c>, <c>ProductList</c>).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SchemaNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>An example of the type as JSON, shown in the API reference.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SchemaExampleAttribute(string json) : Attribute
{
    public string Json { get; } = json;
}

/// <summary>A refusal this endpoint gives beyond those every endpoint may give, as problem details.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RefusesAttribute(int status, string description) : Attribute
{
    public int Status { get; } = status;
    public string Description { get; } = description;
}
