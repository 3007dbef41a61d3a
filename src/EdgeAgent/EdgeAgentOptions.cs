using System.ComponentModel.DataAnnotations;
using Convoy.Contracts.Telemetry;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Simulation;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent;

/// <summary>Configuration section <c>EdgeAgent</c>.</summary>
public sealed class EdgeAgentOptions : IValidatableObject
{
    public const string SectionName = "EdgeAgent";

    /// <summary>The collector used when <see cref="Collectors"/> names none: one on this machine.</summary>
    public const string DefaultCollector = "https://127.0.0.1:5443";

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
    [SettingRange("EdgeAgent:BufferCapacity", 1, 10_000_000)]
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>First reconnect delay; doubles per failed attempt, with jitter, up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Port of the agent's Prometheus <c>/metrics</c>, for the gateway's own monitoring; -1 (the
    /// default) serves none. On <see cref="MetricsAddress"/>.
    /// </summary>
    public int MetricsPort { get; set; } = -1;

    /// <summary>Address the metrics port listens on: this machine only, unless the gateway's monitoring scrapes it from elsewhere.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// How far ahead of the gateway's clock a batch's readings may be. Set it as the collector's
    /// <c>Collector:MaxClockSkew</c>: the agent buffers only batches the collector would take.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = BatchCheck.DefaultMaxClockSkew;

    /// <summary>How old a batch may be when it is made. Set it as the collector's <c>Collector:MaxBatchAge</c>.</summary>
    public TimeSpan MaxBatchAge { get; set; } = BatchCheck.DefaultMaxBatchAge;

    [ValidateObjectMembers]
    public SimulatorOptions Simulator { get; } = new();

    /// <summary>Edge pre-aggregation per sensor kind (section <c>EdgeAgent:Aggregation</c>); raw by default.</summary>
    [ValidateObjectMembers]
    public AggregationOptions Aggregation { get; } = new();

    /// <summary>The real truck this agent runs on (section <c>EdgeAgent:Device</c>); unset in simulator mode.</summary>
    [ValidateObjectMembers]
    public DeviceOptions Device { get; } = new();

    /// <summary>
    /// The defaults that depend on other settings or the environment, applied after binding: the
    /// local collector when none is set, and (Development, e.g. <c>dotnet run</c>, with no trust
    /// roots) the development CA the collector makes in the same folder; never in Production.
    /// </summary>
    internal void ApplyDefaults(bool development)
    {
        if (Collectors.Count == 0)
        {
            Collectors.Add(DefaultCollector);
        }

        if (development && TrustRoots is null)
        {
            DevCertificates = true;
        }
    }

    /// <summary>
    /// The rules that span settings or touch the disk (the simple ones are attributes); run by
    /// <see cref="EdgeAgentOptionsValidator"/> with them and with the nested sections' rules.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        for (int i = 0; i < Collectors.Count; i++)
        {
            if (!Uri.TryCreate(Collectors[i], UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                yield return Invalid($"EdgeAgent:Collectors:{i}", $"must be an https:// address, was '{Collectors[i]}'");
            }
        }

        if (!DevCertificates && (string.IsNullOrWhiteSpace(TrustRoots) || !File.Exists(TrustRoots)))
        {
            yield return Invalid("EdgeAgent:TrustRoots", $"must name the PEM file of the collector's CA (was '{TrustRoots}'), or run with --EdgeAgent:DevCertificates=true (development only)");
        }

        if (MetricsPort is not -1 and (< 1 or > 65535))
        {
            yield return Invalid("EdgeAgent:MetricsPort", $"must be 1..65535, or -1 for no metrics port, was {MetricsPort}");
        }

        if (MetricsPort != -1 && !System.Net.IPAddress.TryParse(MetricsAddress, out _))
        {
            yield return Invalid("EdgeAgent:MetricsAddress", $"must be an IP address (127.0.0.1 for this machine only), was '{MetricsAddress}'");
        }

        if (MaxClockSkew < TimeSpan.Zero)
        {
            yield return Invalid("EdgeAgent:MaxClockSkew", $"must not be negative, was {MaxClockSkew}");
        }

        if (MaxBatchAge <= TimeSpan.Zero)
        {
            yield return Invalid("EdgeAgent:MaxBatchAge", $"must be positive, was {MaxBatchAge}");
        }

        if (ReconnectDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectDelay)
        {
            yield return Invalid("EdgeAgent:ReconnectDelay", "must be positive and at most EdgeAgent:ReconnectMaxDelay");
        }

        if (Device.IsConfigured)
        {
            if (Simulator.Trucks > 0)
            {
                yield return Invalid("EdgeAgent:Device:Id", "and EdgeAgent:Simulator:Trucks are both set: an agent runs on one real truck or simulates trucks, not both");
            }

            if (!Pki.DeviceIdentity.IsValidTenant(Device.Tenant) || !Pki.DeviceIdentity.IsValidDevice(Device.Id))
            {
                yield return Invalid("EdgeAgent:Device", $"must name the tenant ([a-z0-9-]) and device id ([A-Za-z0-9._-]) of this truck's certificate, was '{Device.Tenant}'/'{Device.Id}'");
            }
        }
        else if (Simulator.Trucks == 0)
        {
            yield return Invalid("EdgeAgent:Simulator:Trucks", "is 0 and EdgeAgent:Device:Id is not set, so the agent has nothing to send: set EdgeAgent:Device (a real truck, GPS from EdgeAgent:Nmea) or EdgeAgent:Simulator:Trucks");
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");
}

/// <summary>
/// Checks <see cref="EdgeAgentOptions"/> and its nested sections (Simulator, Aggregation, Device):
/// their attributes and <see cref="IValidatableObject"/> rules, generated (no reflection, AOT-safe).
/// </summary>
[OptionsValidator]
internal sealed partial class EdgeAgentOptionsValidator : IValidateOptions<EdgeAgentOptions>;
