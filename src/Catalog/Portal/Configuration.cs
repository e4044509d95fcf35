using Catalog.Conventions;
using Microsoft.Net.Http.Headers;

namespace Catalog.Portal;

/// <summary>
/// The web pages the service serves itself: the license holder's portal at <c>/portal</c> and the vendor's support
/// desk at <c>/console</c>. Each is a static page and a script that calls the public API from the browser: the portal
/// with the license key (the client endpoints, so it can do nothing the software could not), the console with an API
/// key (its scopes decide). The key lives in the tab's <c>sessionStorage</c> and travels in the Authorization header:
/// no cookie, so a page of another site cannot make the browser send it (no cross-site request forgery to guard).
/// Every asset ships inside the service (embedded in its assembly, Pages/): vendors run it in closed networks.
/// </summary>
public static class PortalConfiguration
{
    /// <summary>
    /// Scripts and styles from the service only, nothing inline, nothing framed, no form posting anywhere, requests only
    /// to the service itself.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html;charset=utf-8",
        [".js"] = "text/javascript;charset=utf-8",
        [".css"] = "text/css;charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>An embedded page or asset, with the tag of its content (If-None-Match answers 304).</summary>
    private sealed record Asset(byte[] Content, string ContentType, EntityTagHeaderValue Tag);

    public static void MapPortal(this WebApplication app)
    {
        var assets = LoadAssets();
        // Public pages (signing in is on them), under the per-address rate limit like any request without a key.
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/portal", methods, (HttpContext context) => Serve(context, assets["portal.html"])).ExcludeFromDescription().AllowAnonymous();
        app.MapMethods("/console", methods, (HttpContext context) => Serve(context, assets["console.html"])).ExcludeFromDescription().AllowAnonymous();
        app.MapMethods("/ui/{name}", methods, (HttpContext context, string name) =>
                assets.TryGetValue(name, out var asset) && !name.EndsWith(".html", StringComparison.Ordinal)
                    ? Serve(context, asset)
                    : Results.Problem(statusCode: 404, title: "No such file."))
            .ExcludeFromDescription().AllowAnonymous();
    }

    private static IResult Serve(HttpContext context, Asset asset)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // A key typed in the page must not leave in a Referer header to wherever a link leads.
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        // Asked again each time (an upgrade shows at once), answered 304 when unchanged.
        headers.CacheControl = "no-cache";
        return Results.Bytes(asset.Content, asset.ContentType, entityTag: asset.Tag);
    }

    private static Dictionary<string, Asset> LoadAssets()
    {
        const string prefix = "Catalog.Portal.Pages.";
        var assembly = typeof(PortalConfiguration).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(x => x.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var name = resource[prefix.Length..];
            assets[name] = new Asset(content, ContentTypes[Path.GetExtension(name)], EntityTags.Of(content));
        }
        return assets;
    }
}
