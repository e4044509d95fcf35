using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Catalog.Licensing
{
    /// <summary>The keep-alive loop as a background service: started with the host, stopped (and its lease released) with it.</summary>
    public sealed class LicensingHostedService : IHostedService, IDisposable
    {
        private readonly LicenseKeepAlive _keepAlive;
        private CancellationTokenSource? _stopping;
        private Task? _running;

        /// <summary>A service running <paramref name="keepAlive"/>.</summary>
        public LicensingHostedService(LicenseKeepAlive keepAlive) => _keepAlive = keepAlive ?? throw new ArgumentNullException(nameof(keepAlive));

        /// <inheritdoc />
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _stopping = new CancellationTokenSource();
            _running = Task.Run(() => _keepAlive.RunAsync(_stopping.Token), CancellationToken.None);
            return Task.CompletedTask;
        }

        /// <inheritdoc />
        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_running is null) return;
            _stopping!.Cancel();
            var stopped = await Task.WhenAny(_running, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            if (stopped == _running) await _running.ConfigureAwait(false);
        }

        /// <inheritdoc />
        public void Dispose() => _stopping?.Dispose();
    }

    /// <summary>Registration in a host's services.</summary>
    public static class LicensingServiceCollectionExtensions
    {
        /// <summary>
        /// Adds a <see cref="LicensingClient"/> and its <see cref="LicenseKeepAlive"/> (singletons), and runs the loop as a
        /// hosted service: heartbeats and leases while the host runs.
        /// </summary>
        public static IServiceCollection AddCatalogLicensing(this IServiceCollection services, Action<LicensingOptions> configure,
            Action<KeepAliveOptions>? keepAlive = null)
        {
            if (services is null) throw new ArgumentNullException(nameof(services));
            if (configure is null) throw new ArgumentNullException(nameof(configure));
            var options = new LicensingOptions();
            configure(options);
            var loop = new KeepAliveOptions();
            keepAlive?.Invoke(loop);
            services.AddSingleton(_ => new LicensingClient(options));
            services.AddSingleton(provider => new LicenseKeepAlive(provider.GetRequiredService<LicensingClient>(), loop));
            services.AddHostedService(provider => new LicensingHostedService(provider.GetRequiredService<LicenseKeepAlive>()));
            return services;
        }
    }
}
