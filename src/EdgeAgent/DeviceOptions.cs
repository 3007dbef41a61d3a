using Convoy.OptionsValidation;

namespace Convoy.EdgeAgent;

/// <summary>
/// Configuration section <c>EdgeAgent:Device</c>: the one real truck this agent runs on. Its
/// certificate is <c>&lt;CertificatesFolder&gt;/devices/&lt;Tenant&gt;/&lt;Id&gt;.crt</c> (and <c>.key</c>).
/// Leave <see cref="Id"/> empty to run the simulator instead.
/// </summary>
public sealed class DeviceOptions
{
    /// <summary>Tenant of this truck, as in its certificate.</summary>
    public string Tenant { get; set; } = string.Empty;

    /// <summary>Device id of this truck, as in its certificate; empty = simulator mode.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Time one batch covers (by the readings' own time); a batch is also cut when time jumps back.</summary>
    [SettingRange("EdgeAgent:Device:BatchSpan", "00:00:01", "01:00:00", Reason = "must be 1 s..1 h")]
    public TimeSpan BatchSpan { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsConfigured => Id.Length > 0;
}
