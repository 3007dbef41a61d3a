using Convoy.Pki;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>Runs one <see cref="DeviceUplink"/> per device (the truck, or each simulated one), each on its own mTLS connection with the device's certificate.</summary>
internal sealed class UplinkService : BackgroundService
{
    private readonly DeviceRegistry _devices;
    private readonly EdgeAgentOptions _options;
    private readonly EdgeAgentMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DeviceUplink> _logger;
    private readonly List<GrpcChannel> _channels = [];

    public UplinkService(DeviceRegistry devices, IOptions<EdgeAgentOptions> options, EdgeAgentMetrics metrics, TimeProvider time, ILogger<DeviceUplink> logger)
    {
        _devices = devices;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DevCertificates? dev = _options.DevCertificates ? DevCertificates.Ensure(_options.CertificatesFolder) : null;
        var trustRoots = CertificateIssuer.LoadPemCertificates(dev?.AuthorityCertificatePath ?? _options.TrustRoots!);
        var uplinks = new List<Task>(_devices.All.Count);
        foreach (var (identity, buffer) in _devices.All)
        {
            var (certificatePath, keyPath) = dev?.EnsureDevice(identity) ?? DeviceFiles(identity);
            var certificate = new DeviceCertificate(identity.ToString(), certificatePath, keyPath, _time, _logger);
            var collectors = new List<(Uri, GrpcChannel)>(_options.Collectors.Count);
            foreach (string address in _options.Collectors)
            {
                var uri = new Uri(address);
                var channel = CollectorChannel.Create(uri, certificate, trustRoots);
                _channels.Add(channel);
                collectors.Add((uri, channel));
            }

            var uplink = new DeviceUplink(identity.Tenant, buffer, collectors, _options, _metrics, _logger, _time);
            uplinks.Add(uplink.RunAsync(stoppingToken));
        }

        return Task.WhenAll(uplinks);
    }

    private (string Certificate, string Key) DeviceFiles(DeviceIdentity identity)
    {
        string folder = Path.Combine(_options.CertificatesFolder, "devices", identity.Tenant);
        string certificate = Path.Combine(folder, identity.Device + ".crt");
        string key = Path.Combine(folder, identity.Device + ".key");
        if (!File.Exists(certificate) || !File.Exists(key))
        {
            throw new FileNotFoundException($"No certificate for device {identity}: expected {certificate} and {key}.", certificate);
        }

        return (certificate, key);
    }

    public override void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        base.Dispose();
    }
}
