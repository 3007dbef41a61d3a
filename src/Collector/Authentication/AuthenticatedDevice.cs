using System.Text;
using Convoy.Pki;

namespace Convoy.Collector.Authentication;

/// <summary>
/// The device a stream was authenticated as, with its ids also as UTF-8 so every batch can be
/// compared with them in place. Made once per call, not per batch.
/// </summary>
internal sealed class AuthenticatedDevice
{
    public AuthenticatedDevice(DeviceIdentity identity, string? kafkaKey = null)
    {
        Identity = identity;
        KafkaKey = kafkaKey ?? identity.Device;
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
}
