using System.Security.Cryptography.X509Certificates;
using System.Text;
using Convoy.Contracts;
using Convoy.Pki;

namespace Convoy.Collector.Authentication;

/// <summary>
/// The device a stream was authenticated as, with its ids also as UTF-8 so every batch can be
/// compared with them in place. Made once per call, not per batch. A partner writing for one of
/// its tenant's devices gets one too, with <see cref="Partner"/> set and no certificate.
/// </summary>
internal sealed class AuthenticatedDevice
{
    private readonly PartnerIdentity? _partner;

    public AuthenticatedDevice(DeviceIdentity identity, string? kafkaKey = null)
    {
        Identity = identity;
        KafkaKey = kafkaKey ?? identity.Device;
        KafkaKeyUtf8 = Encoding.UTF8.GetBytes(KafkaKey);
        TenantUtf8 = Encoding.UTF8.GetBytes(identity.Tenant);
        DeviceUtf8 = Encoding.UTF8.GetBytes(identity.Device);
    }

    public DeviceIdentity Identity { get; }

    public string Tenant => Identity.Tenant;

    public string Device => Identity.Device;

    public byte[] TenantUtf8 { get; }

    public byte[] DeviceUtf8 { get; }

    /// <summary>The key of this device's records: its id, or tenant/device in a shared topic.</summary>
    public string KafkaKey { get; }

    public byte[] KafkaKeyUtf8 { get; }

    /// <summary>The device's own certificate; null when a partner writes for the device.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The partner writing for this device; null when the device itself does.</summary>
    public PartnerIdentity? Partner
    {
        get => _partner;
        init
        {
            _partner = value;
            Sender = value is null ? string.Empty : TelemetryRecordHeaders.PartnerSender(value.Subject);
            SenderUtf8 = value is null ? null : Encoding.UTF8.GetBytes(Sender);
        }
    }

    /// <summary>
    /// Whose sequence space the batches are numbered in: empty for the device itself, partner:&lt;sub&gt;
    /// for a partner (the <c>convoy-sender</c> record header, <see cref="TelemetryRecordHeaders.Sender"/>).
    /// </summary>
    public string Sender { get; private init; } = string.Empty;

    /// <summary><see cref="Sender"/> as UTF-8, for the record header; null for the device itself (no header).</summary>
    public byte[]? SenderUtf8 { get; private init; }

    /// <summary>The caller's address (gRPC peer), for the audit log.</summary>
    public string Remote { get; init; } = string.Empty;

    /// <summary>Who sent, for logs: the device, or the partner's token subject.</summary>
    public string Principal => Partner is { } partner ? Caller.PartnerPrincipal(partner.Subject) : Device;

    public string? CertificateSerial => Certificate?.SerialNumber;
}
