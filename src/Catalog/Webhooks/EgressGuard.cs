using System.Text;
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
/// operator's own, as a tunnel to an address checked here (<see cref="ProxyTunnel"/>).
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
    /// With <c>Webhooks:Proxy</c>: resolves the target here, keeps only permitted addresses (every address, when private
    /// networks are allowed), connects to the proxy, the operator's own and so reachable even on a private address, and
    /// asks it for a tunnel (<c>CONNECT</c>) to the checked address itself, never to the name. The proxy resolves
    /// nothing, so a name that answers differently the second time (DNS rebinding) cannot turn it inward; the request,
    /// and TLS with the target's name for an https URL, then run through the tunnel as they would directly.
    /// </summary>
    public sealed class ProxyTunnel(Uri proxy, bool allowPrivateNetworks)
    {
        public Uri Proxy => proxy;

        public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken token)
        {
            var host = context.DnsEndPoint.Host;
            var permitted = (await Resolve(host, token)).Where(x => allowPrivateNetworks || !IsForbidden(x)).ToArray();
            if (permitted.Length == 0)
                throw new HttpRequestException($"Refused to send to {host}: it is an internal address (Webhooks:AllowPrivateNetworks is false).");

            var tunnel = await Connect(await Resolve(proxy.IdnHost, token), proxy.Port, token);
            try
            {
                var target = new IPEndPoint(permitted[0], context.DnsEndPoint.Port).ToString();
                await tunnel.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"), token);
                var status = await ReadAnswerHead(tunnel, token);
                if (status.Split(' ') is not [var version, "200", ..] || !version.StartsWith("HTTP/", StringComparison.Ordinal))
                    throw new HttpRequestException($"Webhooks:Proxy refused the tunnel to {host}: {status}");
                return tunnel;
            }
            catch
            {
                await tunnel.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The proxy's answer to CONNECT, up to its blank line, read byte by byte so that nothing of the tunnel is taken; its status line.</summary>
    private static async Task<string> ReadAnswerHead(Stream stream, CancellationToken token)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 8192)
        {
            if (await stream.ReadAsync(one, token) == 0) break;
            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
                return Encoding.ASCII.GetString(head.ToArray()).Split("\r\n")[0];
        }
        throw new HttpRequestException("Webhooks:Proxy did not answer the tunnel request");
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
