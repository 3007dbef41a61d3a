using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Simulation;

namespace Convoy.EdgeAgent;

/// <summary>Configuration section <c>EdgeAgent</c>.</summary>
public sealed class EdgeAgentOptions
{
    public const string SectionName = "EdgeAgent";

    /// <summary>Collector addresses (https://host:port). The agent uses the first and moves to the next when one fails.</summary>
    public List<string> Collectors { get; } = [];

    /// <summary>PEM file of the CA certificate(s) the collector's server certificate must chain to.</summary>
    public string? TrustRoots { get; set; }

    /// <summary>
    /// Folder of device certificates, laid out as <c>devices/&lt;tenant&gt;/&lt;device&gt;.crt</c> and <c>.key</c>.
    /// </summary>
    public string CertificatesFolder { get; set; } = ".convoy/dev-certs";

    /// <summary>
    /// Development only: issue missing device certificates with the CA in <see cref="CertificatesFolder"/>
    /// (ca.crt, ca.key) and trust that CA for the collector.
    /// </summary>
    public bool DevCertificates { get; set; }

    /// <summary>Batches kept per device until acknowledged; beyond it the oldest is dropped and counted.</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>First reconnect delay; doubles per failed attempt, with jitter, up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    public SimulatorOptions Simulator { get; } = new();

    /// <summary>Edge pre-aggregation per sensor kind (section <c>EdgeAgent:Aggregation</c>); raw by default.</summary>
    public AggregationOptions Aggregation { get; } = new();

    /// <summary>The real truck this agent runs on (section <c>EdgeAgent:Device</c>); unset in simulator mode.</summary>
    public DeviceOptions Device { get; } = new();

    public void Validate()
    {
        if (Collectors.Count == 0)
        {
            Collectors.Add("https://127.0.0.1:5443");
        }

        for (int i = 0; i < Collectors.Count; i++)
        {
            if (!Uri.TryCreate(Collectors[i], UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                throw Invalid($"EdgeAgent:Collectors:{i}", $"must be an https:// address, was '{Collectors[i]}'");
            }
        }

        if (!DevCertificates && (string.IsNullOrWhiteSpace(TrustRoots) || !File.Exists(TrustRoots)))
        {
            throw Invalid("EdgeAgent:TrustRoots", $"must name the PEM file of the collector's CA (was '{TrustRoots}'), or run with --EdgeAgent:DevCertificates=true (development only)");
        }

        if (BufferCapacity is < 1 or > 10_000_000)
        {
            throw Invalid("EdgeAgent:BufferCapacity", $"must be 1..10000000, was {BufferCapacity}");
        }

        if (ReconnectDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectDelay)
        {
            throw Invalid("EdgeAgent:ReconnectDelay", "must be positive and at most EdgeAgent:ReconnectMaxDelay");
        }

        Aggregation.Validate();
        if (Device.IsConfigured)
        {
            if (Simulator.Trucks > 0)
            {
                throw Invalid("EdgeAgent:Device:Id", "and EdgeAgent:Simulator:Trucks are both set: an agent runs on one real truck or simulates trucks, not both");
            }

            if (!Pki.DeviceIdentity.IsValidTenant(Device.Tenant) || !Pki.DeviceIdentity.IsValidDevice(Device.Id))
            {
                throw Invalid("EdgeAgent:Device", $"must name the tenant ([a-z0-9-]) and device id ([A-Za-z0-9._-]) of this truck's certificate, was '{Device.Tenant}'/'{Device.Id}'");
            }

            if (Device.BatchSpan < TimeSpan.FromSeconds(1) || Device.BatchSpan > TimeSpan.FromHours(1))
            {
                throw Invalid("EdgeAgent:Device:BatchSpan", $"must be 1 s..1 h, was {Device.BatchSpan}");
            }

            return;
        }

        Simulator.Validate();
        if (Simulator.Trucks == 0)
        {
            throw Invalid("EdgeAgent:Simulator:Trucks", "is 0 and EdgeAgent:Device:Id is not set, so the agent has nothing to send: set EdgeAgent:Device (a real truck, GPS from EdgeAgent:Nmea) or EdgeAgent:Simulator:Trucks");
        }
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(EdgeAgentOptions), [$"Configuration '{key}' {reason}."]);
}
