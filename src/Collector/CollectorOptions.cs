using System.ComponentModel.DataAnnotations;
using System.Net;
using Convoy.Contracts.Telemetry;
using Convoy.OptionsValidation;
using Convoy.Pki;
using Convoy.Tokens;
using Microsoft.Extensions.Options;

namespace Convoy.Collector;

/// <summary>
/// Configuration section <c>Collector</c>. The property initialisers are the defaults (the only
/// place they are defined: <c>--help</c> reads them); checked at start by <see cref="CollectorOptionsValidator"/>.
/// </summary>
public sealed class CollectorOptions : IValidatableObject
{
    public const string SectionName = "Collector";

    /// <summary>The section of <see cref="Partners"/>, named in its validation messages.</summary>
    public const string PartnersSection = "Collector:Partners";

    /// <summary>The <c>aud</c> partner tokens must carry unless <c>Collector:Partners:Audience</c> says otherwise.</summary>
    public const string PartnerAudience = "convoy-collector";

    /// <summary>Address Kestrel listens on. 127.0.0.1 by default; 0.0.0.0 to serve other hosts.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TLS port; 0 lets the OS choose (tests).</summary>
    [SettingRange("Collector:Port", 0, 65535)]
    public int Port { get; set; } = 5443;

    /// <summary>
    /// Plain-HTTP port of the Prometheus endpoint <c>/metrics</c> (on <see cref="Address"/>);
    /// 0 lets the OS choose, -1 turns it off. Separate from the device port, which requires a
    /// client certificate that a scraper does not have.
    /// </summary>
    public int MetricsPort { get; set; } = 9464;

    /// <summary>Server certificate, PEM.</summary>
    public string? ServerCertificate { get; set; }

    /// <summary>Private key of the server certificate, PEM (PKCS#8).</summary>
    public string? ServerKey { get; set; }

    /// <summary>PEM file of the CA certificate(s) that device certificates must chain to.</summary>
    public string? DeviceTrustRoots { get; set; }

    /// <summary>Certificate revocation list (PEM or DER) of device certificates; followed on disk. Optional.</summary>
    public string? RevocationList { get; set; }

    /// <summary>
    /// Generate and use development certificates in <see cref="DevCertificatesFolder"/> when the
    /// three files above are not set. Off by default: a production collector never runs on
    /// certificates it made itself. In the Development environment it is turned on when none of the
    /// three is set (a <c>PostConfigure</c> step of the host).
    /// </summary>
    public bool DevCertificates { get; set; }

    public string DevCertificatesFolder { get; set; } = ".convoy/dev-certs";

    /// <summary>
    /// Where telemetry goes: <see cref="TelemetryTopicMode.PerTenant"/> (<c>telemetry.&lt;tenant&gt;</c>,
    /// key = device id), or <see cref="TelemetryTopicMode.Shared"/> (<see cref="SharedTopic"/> for
    /// every tenant, key = <c>&lt;tenant&gt;/&lt;device&gt;</c>) for clusters where topics are scarce.
    /// Either way the tenant is also in the <c>convoy-tenant</c> header.
    /// </summary>
    public TelemetryTopicMode TopicMode { get; set; } = TelemetryTopicMode.PerTenant;

    /// <summary>The one telemetry topic in <see cref="TelemetryTopicMode.Shared"/> mode.</summary>
    public string SharedTopic { get; set; } = "telemetry";

    /// <summary>
    /// Devices whose written sequences are remembered (Ingest/SequenceLedgers: to acknowledge replays
    /// without a second write). Beyond it about half of the idle ones are forgotten; a forgotten
    /// device's replay is written again, and consumers drop it by (device, sequence).
    /// </summary>
    [SettingRange("Collector:MaxTrackedDevices", 1000, int.MaxValue, Reason = "must be at least 1000")]
    public int MaxTrackedDevices { get; set; } = 1_000_000;

    /// <summary>
    /// JSON file of the tenant registry (who may send, and their quotas); reloaded when it changes.
    /// Unset: every authenticated tenant is admitted with the default quota.
    /// </summary>
    public string? TenantsFile { get; set; }

    /// <summary>Batches a device may have in flight unacknowledged on its stream, 1..1024.</summary>
    [SettingRange("Collector:Window", 1, 1024)]
    public int Window { get; set; } = 32;

    /// <summary>Largest batch accepted, bytes; larger ones are refused before they are buffered.</summary>
    [SettingRange("Collector:MaxBatchBytes", 1024, 64 * 1024 * 1024, Reason = "must be 1 KiB..64 MiB")]
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How long a TLS handshake may take before the connection is dropped. Longer than Kestrel's
    /// 10 s: when a whole fleet reconnects at once (after a network or collector outage) the
    /// handshakes queue for CPU, and a timeout there only makes every truck start again.
    /// </summary>
    [SettingRange("Collector:HandshakeTimeout", "00:00:01", "00:05:00")]
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far in the future a batch's base time may lie (device clock skew).</summary>
    public TimeSpan MaxClockSkew { get; set; } = BatchCheck.DefaultMaxClockSkew;

    /// <summary>How old a batch's base time may be: a truck may come back online after days.</summary>
    public TimeSpan MaxBatchAge { get; set; } = BatchCheck.DefaultMaxBatchAge;

    /// <summary>
    /// Partner token verification (<c>Collector:Partners</c>); off until keys are configured.
    /// Bound into this instance, so the collector's audience stays the default.
    /// </summary>
    public TokenOptions Partners { get; set; } = new() { Audience = PartnerAudience };

    /// <summary>
    /// True when the collector makes and uses development certificates: <see cref="DevCertificates"/>
    /// is on and none of the three certificate files is set.
    /// </summary>
    public bool UsesDevCertificates => DevCertificates && ServerCertificate is null && ServerKey is null && DeviceTrustRoots is null;

    /// <summary>
    /// The rules that span settings or touch the disk, and the <c>Collector:Partners</c> section's
    /// own checks (the simple ranges are attributes); run by <see cref="CollectorOptionsValidator"/> with them.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        var partners = new TokenOptionsValidator(PartnersSection).Validate(Options.DefaultName, Partners);
        foreach (string failure in partners.Failures ?? [])
        {
            yield return new ValidationResult(failure);
        }

        if (!IPAddress.TryParse(Address, out _))
        {
            yield return Invalid("Collector:Address", $"must be an IP address, was '{Address}'");
        }

        if (MetricsPort is < -1 or > 65535 || (MetricsPort == Port && Port != 0))
        {
            yield return Invalid("Collector:MetricsPort", $"must be -1 (off), 0 (any) or a port other than Collector:Port, was {MetricsPort}");
        }

        foreach (var taken in new[] { PortInUse.Check("Collector:Port", Address, Port), PortInUse.Check("Collector:MetricsPort", Address, MetricsPort) })
        {
            if (taken is not null)
            {
                yield return taken;
            }
        }

        foreach (var failure in InvalidCertificateFiles())
        {
            yield return failure;
        }

        if (string.IsNullOrWhiteSpace(SharedTopic) || SharedTopic.Length > 200)
        {
            yield return Invalid("Collector:SharedTopic", $"must be a Kafka topic name, was '{SharedTopic}'");
        }

        if (TenantsFile is not null && !File.Exists(TenantsFile))
        {
            yield return Invalid("Collector:TenantsFile", $"names '{TenantsFile}', which does not exist");
        }

        if (MaxClockSkew < TimeSpan.Zero)
        {
            yield return Invalid("Collector:MaxClockSkew", $"must not be negative, was {MaxClockSkew}");
        }

        if (MaxBatchAge <= TimeSpan.Zero)
        {
            yield return Invalid("Collector:MaxBatchAge", $"must be positive, was {MaxBatchAge}");
        }
    }

    /// <summary>The three certificate files are set and exist (unless development certificates are used), the trust roots hold a certificate, the revocation list exists.</summary>
    private IEnumerable<ValidationResult> InvalidCertificateFiles()
    {
        if (!UsesDevCertificates)
        {
            foreach (var (key, path) in new[] { ("ServerCertificate", ServerCertificate), ("ServerKey", ServerKey), ("DeviceTrustRoots", DeviceTrustRoots) })
            {
                if (string.IsNullOrWhiteSpace(path))
                {
                    yield return Invalid($"Collector:{key}", "is not set: give the server certificate, its key and the device trust roots as PEM files, or run with --Collector:DevCertificates=true to generate development certificates (never in production)");
                }
                else if (!File.Exists(path))
                {
                    yield return Invalid($"Collector:{key}", $"names '{path}', which does not exist");
                }
            }

            if (DeviceTrustRoots is { Length: > 0 } roots && File.Exists(roots) && CertificateIssuer.LoadPemCertificates(roots).Count == 0)
            {
                yield return Invalid("Collector:DeviceTrustRoots", $"names '{roots}', which holds no PEM certificate");
            }
        }

        if (RevocationList is not null && !File.Exists(RevocationList))
        {
            yield return Invalid("Collector:RevocationList", $"names '{RevocationList}', which does not exist");
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");
}

/// <summary>Checks <see cref="CollectorOptions"/>: its attributes and its <see cref="IValidatableObject"/> rules, generated (no reflection).</summary>
[OptionsValidator]
internal sealed partial class CollectorOptionsValidator : IValidateOptions<CollectorOptions>;

/// <summary>How telemetry topics are laid out in Kafka.</summary>
public enum TelemetryTopicMode
{
    /// <summary>One topic per tenant, <c>telemetry.&lt;tenant&gt;</c>, key = device id.</summary>
    PerTenant,

    /// <summary>One topic for all tenants, key = <c>&lt;tenant&gt;/&lt;device&gt;</c>.</summary>
    Shared,
}
