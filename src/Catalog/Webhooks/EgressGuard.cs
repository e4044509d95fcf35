using System.Net;
using System.Net.Sockets;

namespace Catalog.Webhooks;

/// <summary>
/// Webhook URLs are the client's say-so, so the service must not become a way into its own network. Unless
/// <c>Webhooks:AllowPrivateNetworks</c> is true, only a globally routable unicast address may be a webhook's: a URL
/// whose host is, or resolves to, anything else (loopback, private, link-local, shared, benchmarking, documentation,
/// multicast, reserved, and every IPv6 form that embeds such an IPv4 address) is refused at creation, and every
/// attempt connects only to an address checked here, the one actually connected: a name that answers differently the
/// second time (DNS rebinding) gets nowhere. The environment's proxy (HTTP_PROXY and the like) is never used, so the
/// address connected is always the target's. With <c>Webhooks:Proxy</c> every connection goes to that proxy, the
/// operator's own, and <see cref="TargetCheck"/> checks each request's target before it is sent there.
/// </summary>
public static class EgressGuard
{
    /// <summary>
    /// An allow-list, not a deny-list: IPv4 outside the special-purpose ranges (RFC 6890 and its successors), IPv6
    /// only inside global unicast 2000::/3 less its special blocks. Forms that carry an IPv4 address (mapped, NAT64's
    /// 64:ff9b::/96, 6to4's 2002::/16) are judged by the IPv4 address they carry; Teredo, whose address is obfuscated,
    /// and the other forms are refused.
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork) return !IsGlobalIPv4(b);
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;

        if (address.IsIPv4MappedToIPv6) return !IsGlobalIPv4(b.AsSpan(12));
        if (b.AsSpan(0, 12).SequenceEqual(Nat64Prefix)) return !IsGlobalIPv4(b.AsSpan(12)); // 64:ff9b::/96 (RFC 6052)
        if (b[0] == 0x20 && b[1] == 0x02) return !IsGlobalIPv4(b.AsSpan(2, 4));             // 6to4 2002::/16 (RFC 3056)

        return (b[0] & 0xE0) != 0x20                                   // outside global unicast 2000::/3: ::/8, 64:ff9b:1::/48, 100::/64, fc00::/7, fe80::/10, ff00::/8, ...
               || (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)        // 2001::/23 IETF protocol assignments: Teredo, benchmarking, ORCHID
               || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) // 2001:db8::/32 documentation
               || (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xF0) == 0)  // 3fff::/20 documentation (RFC 9637)
               || (b[0] == 0x5f && b[1] == 0x00);                      // 5f00::/16 segment routing SIDs (RFC 9602)
    }

    private static readonly byte[] Nat64Prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>An IPv4 address outside every special-purpose range that is not globally reachable.</summary>
    private static bool IsGlobalIPv4(ReadOnlySpan<byte> b) =>
        !(b[0] is 0 or 10 or 127 or >= 224                            // this network, private, loopback, multicast, reserved, broadcast
          || (b[0] == 100 && b[1] is >= 64 and <= 127)                // shared address space (carrier-grade NAT)
          || (b[0] == 169 && b[1] == 254)                             // link-local (cloud metadata)
          || (b[0] == 172 && b[1] is >= 16 and <= 31)                 // private
          || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)             // IETF protocol assignments, TEST-NET-1
          || (b[0] == 192 && b[1] == 88 && b[2] == 99)                // 6to4 relay anycast
          || (b[0] == 192 && b[1] == 168)                             // private
          || (b[0] == 198 && b[1] is 18 or 19)                        // benchmarking, routable inside some networks
          || (b[0] == 198 && b[1] == 51 && b[2] == 100)               // TEST-NET-2
          || (b[0] == 203 && b[1] == 0 && b[2] == 113));              // TEST-NET-3

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
    /// With <c>Webhooks:Proxy</c>: connects to the proxy, the operator's own and so reachable even on a private address,
    /// and to nothing else, so no request ever leaves by another way than through the proxy and its target's check.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectOnlyTo(Uri proxy)
    {
        var proxyHost = proxy.IdnHost.Trim('[', ']');
        return async (context, token) =>
        {
            var host = context.DnsEndPoint.Host.Trim('[', ']');
            if (!string.Equals(host, proxyHost, StringComparison.OrdinalIgnoreCase) || context.DnsEndPoint.Port != proxy.Port)
                throw new HttpRequestException($"Refused to connect to {host}: deliveries go through Webhooks:Proxy only.");
            return await Connect(await Resolve(host, token), context.DnsEndPoint.Port, token);
        };
    }

    /// <summary>
    /// With <c>Webhooks:Proxy</c> the connection is the proxy's, so the target is checked here, on every attempt,
    /// before anything is sent: its host resolved now (an address literal judged as it is), and refused (the attempt
    /// is a failure) when any address it has is forbidden, or when it does not resolve here and so cannot be checked.
    /// The proxy resolves the name again itself: a name that answers differently the second time (DNS rebinding) is
    /// for the operator's proxy to stop, by its own rules (refusing internal destinations, or resolving through a
    /// resolver that never answers them).
    /// </summary>
    public sealed class TargetCheck : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken token)
        {
            var host = request.RequestUri!.IdnHost;
            IPAddress[] addresses;
            try
            {
                addresses = await Resolve(host, token);
            }
            catch (SocketException e)
            {
                throw new HttpRequestException($"Refused to send to {host}: it does not resolve here ({e.SocketErrorCode}), so it cannot be checked.", e);
            }
            if (addresses.Length == 0 || addresses.Any(IsForbidden))
                throw new HttpRequestException($"Refused to send to {host}: it is an internal address (Webhooks:AllowPrivateNetworks is false).");
            return await base.SendAsync(request, token);
        }
    }

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
        return await Connect(permitted, context.DnsEndPoint.Port, token);
    }

    private static async Task<Stream> Connect(IPAddress[] addresses, int port, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
