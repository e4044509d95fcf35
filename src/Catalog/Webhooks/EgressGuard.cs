using System.Net;
using System.Net.Sockets;

namespace Catalog.Webhooks;

/// <summary>
/// Webhook URLs are the client's say-so, so the service must not become a way into its own network. Unless
/// <c>Webhooks:AllowPrivateNetworks</c> is true, a URL whose host is, or resolves to, a loopback, private (RFC 1918,
/// fc00::/7), link-local, shared (100.64.0.0/10), multicast, broadcast or unspecified address (IPv4-mapped IPv6
/// forms included) is refused at creation, and every attempt connects only to an address checked here, the one
/// actually connected: a name that answers differently the second time (DNS rebinding) gets nowhere.
/// </summary>
public static class EgressGuard
{
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast) || address.Equals(IPAddress.IPv6None))
            return true;

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 or >= 224                  // this network, private, loopback, multicast and reserved
                   || (b[0] == 172 && b[1] is >= 16 and <= 31)      // private
                   || (b[0] == 192 && b[1] == 168)                  // private
                   || (b[0] == 169 && b[1] == 254)                  // link-local (cloud metadata)
                   || (b[0] == 100 && b[1] is >= 64 and <= 127)     // shared address space (carrier-grade NAT)
                   || (b[0] == 192 && b[1] == 0 && b[2] == 0);      // IETF protocol assignments
        }

        var bytes = address.GetAddressBytes();
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
               || (bytes[0] & 0xFE) == 0xFC;                         // unique local fc00::/7
    }

    /// <summary>Why the URL's host may not be a webhook's, or null: an address literal is judged as it is, a name by what it resolves to.</summary>
    public static async Task<string?> RefusalAsync(Uri url, CancellationToken token)
    {
        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            addresses = await Resolve(url.IdnHost, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !token.IsCancellationRequested)
        {
            return null; // a name that does not resolve yet is checked again at every attempt
        }
        return addresses.Any(IsForbidden)
            ? "must not point to a loopback, private, link-local or otherwise internal address"
            : null;
    }

    /// <summary>An address literal as it is (any spelling Uri accepts, brackets or not); a name as DNS answers now.</summary>
    private static async Task<IPAddress[]> Resolve(string host, CancellationToken token) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, token);

    /// <summary>
    /// Connects an attempt: resolves the host, keeps only permitted addresses and connects to one of those, so the
    /// address checked is the address used.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken token)
    {
        var host = context.DnsEndPoint.Host;
        var permitted = (await Resolve(host, token)).Where(x => !IsForbidden(x)).ToArray();
        if (permitted.Length == 0)
            throw new HttpRequestException($"Refused to connect to {host}: it is an internal address (Webhooks:AllowPrivateNetworks is false).");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(permitted, context.DnsEndPoint.Port, token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
