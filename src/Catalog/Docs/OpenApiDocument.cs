using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Catalog.Conventions;

namespace Catalog.Docs;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c>, generated from the endpoints themselves, and the API
/// reference page at <c>/docs</c>. What the endpoints' metadata cannot say (the API-key schemes, problem-details
/// answers, query parameters read by hand, headers) is added here, in one place.
/// </summary>
public static class OpenApiDocument
{
    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Catalog API",
                    Version = "v1",
                    Description = "Products and license keys for software vendors. Authenticate with an API key: " +
                                  "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Errors are RFC 9457 problem details."
                };
                // Relative: the document is served by the service it describes, wherever that is.
                document.Servers = [new OpenApiServer { Url = "/", Description = "This service" }];
                document.Tags = new HashSet<OpenApiTag>(Tags.Select(x => new OpenApiTag { Name = x.Key, Description = x.Value }));
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["bearer"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "ctlg_<40 characters>",
                        Description = "An API key of the account, with the scopes the operation names."
                    },
                    ["apiKey"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key",
                        Description = "The same API key, in a header of its own."
                    }
                };
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas["ProblemDetails"] = ProblemSchema();
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                // Optional<T> (PATCH's "absent or present") is T, or null, on the wire.
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>) && schema is OpenApiSchema optional)
                {
                    var inner = type.GetGenericArguments()[0];
                    optional.Properties = null;
                    optional.Required = null;
                    optional.Type = (inner == typeof(string) ? JsonSchemaType.String : JsonSchemaType.Object) | JsonSchemaType.Null;
                    if (inner != typeof(string)) optional.AdditionalProperties = MetadataValueSchema();
                }
                if (context.JsonPropertyInfo is { } property && schema is OpenApiSchema field
                    && FieldRules.TryGetValue((property.DeclaringType.Name, property.Name), out var rule))
                    rule(field);
                if (context.JsonPropertyInfo is null && schema is OpenApiSchema whole)
                {
                    if (RequiredFields.TryGetValue(type.Name, out var required)) whole.Required = new HashSet<string>(required);
                    if (Examples.TryGetValue(type.Name, out var example)) whole.Example = System.Text.Json.Nodes.JsonNode.Parse(example);
                }
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var path = "/" + context.Description.RelativePath?.TrimStart('/');
                if (!path.StartsWith("/api/", StringComparison.Ordinal)) return Task.CompletedTask;
                var method = context.Description.HttpMethod ?? "GET";
                var document = context.Document!;

                if (Operations.TryGetValue((method, path), out var described))
                {
                    operation.OperationId = described.Id;
                    operation.Summary = described.Summary;
                    operation.Tags = new HashSet<OpenApiTagReference> { new(described.Tag, document) };
                }

                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] }
                ];

                operation.Parameters ??= new List<IOpenApiParameter>();
                foreach (var parameter in QueryParameters(path, method)) operation.Parameters.Add(parameter);
                if (method == "POST")
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = "Idempotency-Key", In = ParameterLocation.Header, Required = false,
                        Description = "Send the same key again to get the first answer again instead of doing the work twice (24 hours, per account).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 }
                    });

                operation.Responses ??= new OpenApiResponses();
                if (!path.Contains('{')) operation.Responses.Remove("404");
                foreach (var (status, description) in Errors(path, method, context.Description.ParameterDescriptions.Any(x => x.Source.Id == "Body")))
                    operation.Responses.TryAdd(status, new OpenApiResponse
                    {
                        Description = description,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) }
                        }
                    });
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static void MapApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous().DisableRateLimiting();
        app.MapScalarApiReference("/docs", options =>
        {
            options.Title = "Catalog API";
            options.OpenApiRoutePattern = "/openapi/{documentName}.json";
            options.AddPreferredSecuritySchemes("bearer");
        }).AllowAnonymous().DisableRateLimiting();
    }

    private static readonly Dictionary<string, string> Tags = new()
    {
        ["Products"] = "The software a vendor sells. Each has a unique code and the prefix of its license keys.",
        ["Licenses"] = "License keys issued for a product: list, read, revoke, validate.",
        ["Events"] = "The account's event log, read from the event store.",
        ["Webhooks"] = "Endpoints that receive the account's events, signed, with retries.",
    };

    private static readonly Dictionary<(string, string), (string Tag, string Id, string Summary)> Operations = new()
    {
        [("POST", "/api/v1/products")] = ("Products", "createProduct", "Create a product"),
        [("GET", "/api/v1/products")] = ("Products", "listProducts", "List products, newest first"),
        [("GET", "/api/v1/products/{id}")] = ("Products", "getProduct", "Get a product (deleted ones too)"),
        [("PATCH", "/api/v1/products/{id}")] = ("Products", "updateProduct", "Change a product"),
        [("DELETE", "/api/v1/products/{id}")] = ("Products", "deleteProduct", "Delete a product (soft)"),
        [("POST", "/api/v1/products/{id}/licenses")] = ("Licenses", "issueLicense", "Issue a license key for a product"),
        [("GET", "/api/v1/licenses")] = ("Licenses", "listLicenses", "List licenses, newest first"),
        [("GET", "/api/v1/licenses/{id}")] = ("Licenses", "getLicense", "Get a license"),
        [("POST", "/api/v1/licenses/{id}/revoke")] = ("Licenses", "revokeLicense", "Revoke a license"),
        [("POST", "/api/v1/licenses/validate")] = ("Licenses", "validateLicense", "Validate a license key"),
        [("GET", "/api/v1/events")] = ("Events", "listEvents", "Read the event log, oldest first"),
        [("POST", "/api/v1/webhook-endpoints")] = ("Webhooks", "createWebhookEndpoint", "Register a webhook endpoint"),
        [("GET", "/api/v1/webhook-endpoints")] = ("Webhooks", "listWebhookEndpoints", "List webhook endpoints"),
        [("DELETE", "/api/v1/webhook-endpoints/{id}")] = ("Webhooks", "deleteWebhookEndpoint", "Remove a webhook endpoint"),
        [("GET", "/api/v1/webhook-endpoints/{id}/deliveries")] = ("Webhooks", "listWebhookDeliveries", "List delivery attempts, newest first"),
    };

    /// <summary>The examples of the original Products page.</summary>
    private static readonly Dictionary<string, string> Examples = new()
    {
        ["CreateProduct"] = """
            {"name": "Desktop App Pro", "code": "desktop-app-pro",
             "description": "Professional desktop application with advanced features",
             "keyPrefix": "DSK", "metadata": {"category": "productivity"}}
            """,
        ["ProductDetails"] = """
            {"id": "d9e5f0a1-4c82-5e6f-a023-9b7c4d8e5f60", "name": "Desktop App Pro", "code": "desktop-app-pro",
             "description": "Professional desktop application with advanced features", "keyPrefix": "DSK",
             "accountId": "a0b1c2d3-7f15-8192-d356-ce0f1a2b3c4d", "licensesCount": 42,
             "createdAt": "2026-01-10T08:00:00.000Z", "updatedAt": "2026-01-10T08:00:00.000Z", "deletedAt": null, "metadata": {}}
            """,
        ["ProductSummary"] = """
            {"id": "d9e5f0a1-4c82-5e6f-a023-9b7c4d8e5f60", "name": "Desktop App Pro", "code": "desktop-app-pro",
             "keyPrefix": "DSK", "licensesCount": 42, "createdAt": "2026-01-10T08:00:00.000Z",
             "updatedAt": "2026-01-10T08:00:00.000Z", "deletedAt": null, "metadata": {}}
            """,
    };

    private static readonly Dictionary<string, string[]> RequiredFields = new()
    {
        ["CreateProduct"] = ["name", "code"],
        ["ValidateLicense"] = ["key"],
        ["CreateWebhookEndpoint"] = ["url", "events"],
    };

    /// <summary>The contract's field rules, as JSON Schema, by (type, JSON property name).</summary>
    private static readonly Dictionary<(string, string), Action<OpenApiSchema>> FieldRules = new()
    {
        [("CreateProduct", "name")] = s => { s.MinLength = 1; s.MaxLength = 255; s.Description = "1-255 characters, not blank."; },
        [("CreateProduct", "code")] = s => { s.Pattern = "^[A-Za-z0-9_-]{1,50}$"; s.Description = "Unique in the account ignoring case; immutable; stays reserved after deletion."; },
        [("CreateProduct", "description")] = s => s.MaxLength = 1000,
        [("CreateProduct", "keyPrefix")] = s => { s.Pattern = "^[A-Z]{2,10}$"; s.Default = "LIC"; s.Description = "How license keys begin; uppercase only (lowercase is refused, not fixed)."; },
        [("CreateProduct", "metadata")] = Metadata,
        [("UpdateProduct", "metadata")] = Metadata,
        [("IssueLicense", "metadata")] = Metadata,
        [("IssueLicense", "expiresAt")] = s => s.Description = "In the future, with a time zone; kept to the millisecond.",
        [("ValidateLicense", "key")] = s => { s.MinLength = 1; s.MaxLength = 100; s.Description = "Matched ignoring case and surrounding spaces."; },
        [("CreateWebhookEndpoint", "url")] = s => { s.Format = "uri"; s.MaxLength = 2048; s.Description = "An absolute http or https URL without credentials."; },
        [("CreateWebhookEndpoint", "events")] = s => { s.MinItems = 1; s.Items = EventTypeSchema(); },
        [("LicenseDetails", "status")] = s => s.Enum = ["active", "expired", "revoked"],
        [("LicenseDetails", "key")] = s => { s.Pattern = "^[A-Z]{2,10}(-[A-HJ-NP-Z2-9]{4}){4}$"; s.Example = "DSK-A2B3-C4D5-E6F7-G8H9"; },
        [("LicenseValidation", "code")] = s => s.Enum = ["VALID", "NOT_FOUND", "REVOKED", "EXPIRED", "PRODUCT_DELETED"],
    };

    private static void Metadata(OpenApiSchema schema)
    {
        schema.MaxProperties = 64;
        schema.PropertyNames = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 64 };
        schema.AdditionalProperties = MetadataValueSchema();
        schema.Description = "At most 64 keys of 1-64 characters; values are strings (at most 512 characters), numbers, booleans or null.";
    }

    private static OpenApiSchema MetadataValueSchema() => new()
    {
        OneOf =
        [
            new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 512 },
            new OpenApiSchema { Type = JsonSchemaType.Number },
            new OpenApiSchema { Type = JsonSchemaType.Boolean },
            new OpenApiSchema { Type = JsonSchemaType.Null }
        ]
    };

    private static OpenApiSchema EventTypeSchema() => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. EventLog.PublicEvents.Names.Select(x => (System.Text.Json.Nodes.JsonNode)x!)]
    };

    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. `errors` maps each bad request field (as sent) to its messages.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } }
            }
        },
        Required = new HashSet<string> { "type", "title", "status", "detail" }
    };

    private static IEnumerable<OpenApiParameter> QueryParameters(string path, string method)
    {
        if (method != "GET" || !(path is "/api/v1/products" or "/api/v1/licenses" or "/api/v1/events" || path.EndsWith("/deliveries")))
            yield break;

        var sequence = path == "/api/v1/events";
        yield return new OpenApiParameter
        {
            Name = "cursor", In = ParameterLocation.Query,
            Description = sequence ? "The nextCursor of the previous page: the last sequence seen." : "The nextCursor of the previous page: the last id seen.",
            Schema = sequence
                ? new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" }
                : new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" }
        };
        yield return new OpenApiParameter
        {
            Name = "limit", In = ParameterLocation.Query, Description = "Items per page.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "100", Default = 25 }
        };
        if (path == "/api/v1/licenses")
        {
            yield return new OpenApiParameter
            {
                Name = "productId", In = ParameterLocation.Query, Description = "Only this product's licenses.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" }
            };
            yield return new OpenApiParameter
            {
                Name = "status", In = ParameterLocation.Query, Description = "Only licenses in this status, as of now.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["active", "expired", "revoked"] }
            };
        }
        if (sequence)
            yield return new OpenApiParameter
            {
                Name = "type", In = ParameterLocation.Query, Description = "Only events of this type.",
                Schema = EventTypeSchema()
            };
    }

    private static IEnumerable<(string Status, string Description)> Errors(string path, string method, bool hasBody)
    {
        if (hasBody || method == "GET") yield return ("400", "The body or a query value is not valid; `errors` names each field.");
        yield return ("401", "No API key, or a malformed, unknown or revoked one (`WWW-Authenticate: Bearer`).");
        yield return ("403", "The API key lacks the scope this operation needs; `detail` names it.");
        if (path.Contains('{')) yield return ("404", "No such resource in the key's account.");
        if (path == "/api/v1/products" && method == "POST") yield return ("409", "The code is already taken in this account (deleted products keep theirs).");
        if (path.EndsWith("/licenses") && method == "POST") yield return ("409", "The product has been deleted.");
        if (path == "/api/v1/products/{id}" && method == "PATCH") yield return ("409", "The product has been deleted.");
        if (hasBody)
        {
            yield return ("413", "The body is larger than 64 KiB.");
            yield return ("415", "The body is not sent as JSON.");
        }
        if (method == "POST") yield return ("422", "The Idempotency-Key was already used with a different request.");
        yield return ("429", "Over the key's rate limit; see `Retry-After` and the `RateLimit-*` headers.");
        yield return ("503", "The database is unavailable; retry after `Retry-After` seconds.");
    }
}

/// <summary>Placeholder until endpoints describe themselves.</summary>
public sealed class EndpointDocumentation : Wolverine.Http.IHttpPolicy
{
    public void Apply(IReadOnlyList<Wolverine.Http.HttpChain> chains, JasperFx.CodeGeneration.GenerationRules rules, JasperFx.IServiceContainer container) { }
}
