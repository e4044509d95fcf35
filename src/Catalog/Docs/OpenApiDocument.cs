using Catalog.Http;
using System.Reflection;
using System.Text.Json.Nodes;
using Catalog.Conventions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Catalog.Docs;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c> and the API reference page at <c>/docs</c>. Everything in it
/// comes from the endpoints and types themselves: operation ids and summaries from the route attributes, tags from
/// <c>[Tags]</c>, field rules from the request records' validation attributes (the same constants their Validate
/// methods use), schema names from <see cref="SchemaNameAttribute"/>, endpoint-specific refusals from
/// <see cref="RefusesAttribute"/>. This file adds only what is true of every endpoint alike: the key schemes, the
/// problem-details answers the conventions give, and the Idempotency-Key header.
/// </summary>
public static class OpenApiDocument
{
    private const string DocumentName = "v1";

    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            // Primitives, arrays and dictionaries stay inline, as by default; every other type gets its domain name.
            options.CreateSchemaReferenceId = info => OpenApiOptions.CreateDefaultSchemaReferenceId(info) is null ? null : SchemaName(info.Type);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Catalog API",
                    Version = "v1",
                    Description = "Products and license keys for software vendors. Authenticate with an API key: " +
                                  "`Authorization: Bearer <key>` or `X-API-Key: <key>`. The client endpoints (`/api/v1/client/...`), " +
                                  "which the software vendors ship calls, authenticate with the license key itself: " +
                                  "`Authorization: License <key>`. Errors are RFC 9457 problem details."
                };
                // Relative: the document is built once (MapApiReference), so it names no host a request happened to use;
                // "/" is wherever the document itself was fetched from, which is the service.
                document.Servers = [new OpenApiServer { Url = "/", Description = "This service: where this document is served" }];
                document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Select(x => new OpenApiTag { Name = x.Key, Description = x.Value }));
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
                    },
                    ["license"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http, Scheme = "License", BearerFormat = "DSK-A2B3-C4D5-E6F7-G8H9",
                        Description = "A license key, for the client endpoints only: `Authorization: License <key>`."
                    }
                };
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas["ProblemDetails"] = ProblemSchema();
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (schema is not OpenApiSchema target) return Task.CompletedTask;
                var type = context.JsonTypeInfo.Type;
                if (IsOptional(type)) DescribeOptional(target, type.GetGenericArguments()[0]);
                if (type == typeof(Dictionary<string, JsonElement>)) DescribeMetadata(target);
                if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), false)
                        is [AllowedValuesAttribute allowed, ..])
                {
                    var values = allowed.Values.Select(x => (JsonNode)JsonValue.Create(x?.ToString())!).ToList();
                    if (target.Items is OpenApiSchema items) items.Enum = values;
                    else target.Enum = values;
                }
                if (context.JsonPropertyInfo?.AttributeProvider?.IsDefined(typeof(RequiredAttribute), false) == true && target.Type is { } required)
                    target.Type = required & ~JsonSchemaType.Null;
                if (context.JsonPropertyInfo is null && type.GetCustomAttribute<SchemaExampleAttribute>() is { } example)
                    target.Examples = [JsonNode.Parse(example.Json)!]; // OpenAPI 3.1 (JSON Schema): "examples", "example" is deprecated
                // A request body requires only what its [Required] says (a PATCH, nothing); an answer always has every field.
                if (context.JsonPropertyInfo is null && IsRequestBody(type, context.ApplicationServices))
                    target.Required = new HashSet<string>(context.JsonTypeInfo.Properties
                        .Where(x => x.AttributeProvider?.IsDefined(typeof(RequiredAttribute), false) == true)
                        .Select(x => x.Name));
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor is not WolverineActionDescriptor { Chain: var chain }) return Task.CompletedTask;
                var document = context.Document!;
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                // A list's [AsParameters] page request is its query, not a body.
                var hasBody = chain.HasRequestType && chain.RequestType != chain.AsParametersType;

                var byLicenseKey = metadata.OfType<IAuthorizeData>().Any(x => x.Policy == CatalogClaims.LicenseKeyPolicy);
                if (byLicenseKey)
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("license", document)] = [] }];
                else if (metadata.OfType<IAuthorizeData>().Any())
                    operation.Security =
                    [
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] },
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] }
                    ];
                else
                    operation.Security = [new OpenApiSecurityRequirement()]; // public by design (the JWK Set): no credential

                var keyed = chain.DeduplicatedWithResponse is not null || chain.Method.Method.IsDefined(typeof(KeepsItsIdempotencyKeyAttribute), false);
                if (keyed)
                {
                    operation.Parameters ??= new List<IOpenApiParameter>();
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = IdempotencyConfiguration.Header, In = ParameterLocation.Header, Required = false,
                        Description = "Send the same key with the same request again to get the first answer again (with " +
                                      "`Idempotent-Replayed: true`) instead of doing the work twice: 24 hours, per account.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyConfiguration.MaxLength }
                    });
                }

                operation.Responses ??= new OpenApiResponses();
                // Wolverine declares an empty 404 for every resource it writes; only routes with an id can answer it.
                if (chain.RoutePattern?.Parameters.Count is null or 0) operation.Responses.Remove("404");
                // Wolverine declares a 400 for any middleware that can answer problem details (the edge's answer 404 or
                // 503): the refusals below say which an operation gives.
                operation.Responses.Remove("400");
                var refusals = new List<(int Status, string Description)>();
                if (hasBody || operation.Parameters?.Any(x => x.In == ParameterLocation.Query) == true || keyed
                    || chain.Method.HandlerType.GetMethod("Validate") is not null)
                    refusals.Add((400, "The body, a query value or a header is not valid; `errors` names each field."));
                if (byLicenseKey)
                    refusals.Add((401, "No license key, or a malformed, unknown or revoked one (`WWW-Authenticate: License`)."));
                else if (metadata.OfType<IAuthorizeData>().Any())
                {
                    refusals.Add((401, "No API key, or a malformed, unknown or revoked one (`WWW-Authenticate: Bearer`)."));
                    refusals.Add((403, "The API key lacks the scope this operation needs; `detail` names it."));
                }
                if (chain.RoutePattern?.Parameters.Count > 0) refusals.Add((404, "No such resource in the key's account."));
                refusals.AddRange(metadata.OfType<RefusesAttribute>().Select(x => (x.Status, x.Description)));
                if (chain.DeduplicatedWithResponse is not null)
                    refusals.Add((409, "A request with the same Idempotency-Key committed first and its answer cannot be read yet; retry."));
                if (keyed) refusals.Add((422, "The Idempotency-Key was already used with a different request."));
                if (hasBody)
                {
                    refusals.Add((413, "The body is larger than 64 KiB."));
                    refusals.Add((415, "The body is not sent as JSON."));
                }
                refusals.Add((429, byLicenseKey ? "Over the license key's rate limit; see `Retry-After` and the `RateLimit-*` headers."
                    : metadata.OfType<IAuthorizeData>().Any() ? "Over the key's rate limit; see `Retry-After` and the `RateLimit-*` headers."
                    : "Over the client address's rate limit; see `Retry-After` and the `RateLimit-*` headers."));
                refusals.Add((503, "The database is unavailable; retry after `Retry-After` seconds."));

                foreach (var group in refusals.GroupBy(x => x.Status))
                    operation.Responses[group.Key.ToString()] = new OpenApiResponse
                    {
                        Description = string.Join(" Or: ", group.Select(x => x.Description)),
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) }
                        }
                    };
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static void MapApiReference(this WebApplication app)
    {
        // Built once, on first request: it cannot change while the service runs, and building it costs ≈14 ms of CPU
        // and 134 KB, which anyone could otherwise ask for without a credential as often as they like.
        // Its ETag lets clients and caches ask again for nothing (304 to If-None-Match).
        var document = new Lazy<Task<(byte[] Json, Microsoft.Net.Http.Headers.EntityTagHeaderValue Tag)>>(async () =>
        {
            var built = await app.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync();
            var json = System.Text.Encoding.UTF8.GetBytes(await built.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1));
            return (json, EntityTags.Of(json));
        });
        app.MapGet($"/openapi/{DocumentName}.json", async () =>
            {
                var (json, tag) = await document.Value;
                return Results.Bytes(json, "application/json;charset=utf-8", entityTag: tag);
            })
            .ExcludeFromDescription().AllowAnonymous().DisableRateLimiting();
        app.MapScalarApiReference("/docs", options =>
        {
            options.Title = "Catalog API";
            options.OpenApiRoutePattern = "/openapi/{documentName}.json";
            options.AddPreferredSecuritySchemes("bearer");
        }).AllowAnonymous().DisableRateLimiting();
    }

    /// <summary>The tags the endpoints name in their <c>[Tags]</c>, described for the reference's table of contents.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Products"] = "The software a vendor sells. Each has a unique code and the prefix of its license keys.",
        ["Policies"] = "A product's licensing models (perpetual, subscription, trial, node-locked, floating, metered, tiers): every license under one follows it, and a change holds for all of them at once.",
        ["Entitlements"] = "Features a license may grant (export-pdf, ...), by code: granted by policies and licenses, asked by validation.",
        ["Licenses"] = "License keys issued for a product: list, read, change, suspend, revoke, validate.",
        ["Machines"] = "The installations using a license, within its seat limit (maxMachines).",
        ["Client"] = "For the software a vendor ships, with its license key alone: activate this machine, validate, read this license, get a signed license file.",
        ["Events"] = "The account's event log, read from the event store.",
        ["Webhooks"] = "Endpoints that receive the account's events, signed, with retries.",
        ["License files"] = "Signed license files (JWS, EdDSA) that installed software verifies offline with the account's public keys (JWK Set).",
    };

    /// <summary>
    /// Domain names for generated clients: a type's <see cref="SchemaNameAttribute"/> (else its own name), with the
    /// envelopes named after what they hold; <c>Optional&lt;T&gt;</c> (PATCH's "absent or present") and any JSON value are inlined.
    /// </summary>
    private static string? SchemaName(Type type)
    {
        // Any JSON value (an event's data, a metadata value): a schema of its own would only name .NET's type.
        if (IsOptional(type) || type == typeof(JsonElement)) return null;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Resource<>))
            return SchemaName(type.GetGenericArguments()[0]) + "Response";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Page<>))
            return SchemaName(type.GetGenericArguments()[0]) + "List";
        // A whole list in one answer (a product's days of activity): named after its items, as no .NET name would be.
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            return SchemaName(type.GetGenericArguments()[0]) + "Array";
        return type.GetCustomAttribute<SchemaNameAttribute>()?.Name ?? type.Name;
    }

    private static bool IsRequestBody(Type type, IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints
            .Any(x => x.Metadata.GetMetadata<HttpChain>() is { HasRequestType: true } chain && chain.RequestType == type);

    private static bool IsOptional(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>);

    /// <summary>Optional&lt;T&gt; is T, or null, on the wire.</summary>
    private static void DescribeOptional(OpenApiSchema schema, Type inner)
    {
        schema.Properties = null;
        schema.Required = null;
        schema.Type = (inner == typeof(string) ? JsonSchemaType.String : JsonSchemaType.Object) | JsonSchemaType.Null;
        if (inner == typeof(Dictionary<string, JsonElement>)) DescribeMetadata(schema);
    }

    private static void DescribeMetadata(OpenApiSchema schema)
    {
        schema.MaxProperties = MetadataRules.MaxKeys;
        schema.PropertyNames = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = MetadataRules.MaxKeyLength };
        schema.AdditionalProperties = new OpenApiSchema
        {
            OneOf =
            [
                new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = MetadataRules.MaxStringLength },
                new OpenApiSchema { Type = JsonSchemaType.Number },
                new OpenApiSchema { Type = JsonSchemaType.Boolean },
                new OpenApiSchema { Type = JsonSchemaType.Null }
            ]
        };
        schema.Description = $"At most {MetadataRules.MaxKeys} keys of 1-{MetadataRules.MaxKeyLength} characters; values are strings " +
                             $"(at most {MetadataRules.MaxStringLength} characters), numbers, booleans or null.";
    }

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
}
