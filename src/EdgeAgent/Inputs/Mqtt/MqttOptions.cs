using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>
/// Configuration section <c>EdgeAgent:Mqtt</c>: the local sensor input, a subscription to the MQTT
/// broker on the gateway (Mosquitto, usually) into which a reefer controller or a CAN-bus bridge
/// publishes JSON readings. Off unless <see cref="Enabled"/>; only for a real truck (<c>EdgeAgent:Device</c>).
/// </summary>
public sealed class MqttOptions : IValidatableObject
{
    public const string SectionName = "EdgeAgent:Mqtt";

    /// <summary>The topic filter subscribed to when <see cref="Topics"/> names none.</summary>
    public const string DefaultTopic = "convoy/sensors/#";

    /// <summary>Subscribe to the broker and batch what arrives.</summary>
    public bool Enabled { get; set; }

    /// <summary>The broker's host: the gateway itself by default.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>1883 is MQTT's port, 8883 MQTT over TLS.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Topic filters subscribed to with QoS 1 (wildcards + and # allowed); <c>convoy/sensors/#</c> when none is set.</summary>
    public List<string> Topics { get; } = [];

    /// <summary>The agent's MQTT client id; <c>convoy-edge-&lt;device id&gt;</c> when empty. Stable, so the broker keeps the session across reconnects.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>Username for the broker; none when empty.</summary>
    public string? Username { get; set; }

    /// <summary>Password for the broker (with <see cref="Username"/>).</summary>
    public string? Password { get; set; }

    /// <summary>Connect over TLS (the broker's certificate must chain to <see cref="TrustRoots"/> or the system's trust store).</summary>
    public bool UseTls { get; set; }

    /// <summary>TLS: PEM file of the CA(s) the broker's certificate must chain to; the system trust store when empty.</summary>
    public string? TrustRoots { get; set; }

    /// <summary>
    /// How long the broker keeps the agent's session (its subscriptions and the QoS 1 messages that
    /// arrive meanwhile) while the agent is away, e.g. restarting. Zero: a clean session on every connect.
    /// </summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>QoS 1 messages the broker may have in flight to the agent unacknowledged: bounds what a slow agent holds in memory.</summary>
    public int ReceiveMaximum { get; set; } = 256;

    /// <summary>MQTT keep-alive: a broker silent for 1.5 times this is taken as gone and reconnected to.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First delay before reconnecting; doubles per failed attempt, with jitter, up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A message larger than this is refused unread (one reading is well under 200 bytes).</summary>
    public int MaxPayloadBytes { get; set; } = 4096;

    /// <summary>A reading stamped further than this ahead of the gateway's clock is refused (the collector allows 5 minutes).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A reading older than this is refused: a sensor with a reset clock, or a stale retained message (the collector refuses batches older than 30 days).</summary>
    public TimeSpan MaxReadingAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At most one warning per refusal reason per this interval; the rest are counted into the next one.</summary>
    public TimeSpan RejectionLogInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Fuel tank capacity in litres, sent with the fuel level so consumers can turn percent into litres; 0 = unknown.</summary>
    public float FuelTankCapacityL { get; set; }

    /// <summary>
    /// Sensor name (the message's <c>sensor</c>) → kind: <c>ReeferZone1</c>..<c>ReeferZone8</c>, <c>FuelLevel</c>,
    /// <c>EngineRpm</c>, <c>BatteryVoltage</c>, <c>ReeferDoorOpen</c>, <c>HumidityPercent</c>, <c>OdometerKm</c>,
    /// <c>Custom</c> (a scalar named after the sensor) or <c>Ignore</c>. Adds to, or overrides, <see cref="SensorCatalog.DefaultSensors"/>.
    /// </summary>
    public Dictionary<string, string> Sensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The defaults that depend on others, applied after binding: the topic, the client id from the device id, the known sensor names.</summary>
    internal void ApplyDefaults(string deviceId)
    {
        if (Topics.Count == 0)
        {
            Topics.Add(DefaultTopic);
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            ClientId = $"convoy-edge-{deviceId}";
        }

        foreach (var (name, kind) in SensorCatalog.DefaultSensors)
        {
            Sensors.TryAdd(name, kind);
        }
    }

    /// <summary>Every setting, when the input is enabled (checked after <see cref="ApplyDefaults"/>).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return Failure("Host", "must name the MQTT broker's host (127.0.0.1 for one on the gateway), was empty");
        }

        if (Port is < 1 or > 65535)
        {
            yield return Failure("Port", $"must be 1..65535, was {Port}");
        }

        for (int i = 0; i < Topics.Count; i++)
        {
            if (!IsTopicFilter(Topics[i]))
            {
                yield return Failure($"Topics:{i}", $"must be an MQTT topic filter ('+' for one level, '#' only as the last level), was '{Topics[i]}'");
            }
        }

        if (ClientId.Length > 128)
        {
            yield return Failure("ClientId", $"must be at most 128 characters, was {ClientId.Length}");
        }

        if (Password is { Length: > 0 } && string.IsNullOrEmpty(Username))
        {
            yield return Failure("Password", $"is set without {SectionName}:Username");
        }

        if (UseTls && TrustRoots is { Length: > 0 } && !File.Exists(TrustRoots))
        {
            yield return Failure("TrustRoots", $"must name a PEM file of the broker's CA, was '{TrustRoots}' (not found)");
        }

        if (SessionExpiry < TimeSpan.Zero || SessionExpiry.TotalSeconds > uint.MaxValue)
        {
            yield return Failure("SessionExpiry", $"must be 0 (clean sessions) or positive, was {SessionExpiry}");
        }

        if (ReceiveMaximum is < 1 or > 65535)
        {
            yield return Failure("ReceiveMaximum", $"must be 1..65535, was {ReceiveMaximum}");
        }

        if (KeepAlive < TimeSpan.FromSeconds(1) || KeepAlive > TimeSpan.FromHours(18))
        {
            yield return Failure("KeepAlive", $"must be 1 s..18 h, was {KeepAlive}");
        }

        if (ReconnectDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectDelay)
        {
            yield return Failure("ReconnectDelay", $"must be positive and at most {SectionName}:ReconnectMaxDelay, was {ReconnectDelay} with {ReconnectMaxDelay}");
        }

        if (MaxPayloadBytes is < 64 or > 1024 * 1024)
        {
            yield return Failure("MaxPayloadBytes", $"must be 64..1048576, was {MaxPayloadBytes}");
        }

        if (MaxClockSkew < TimeSpan.Zero)
        {
            yield return Failure("MaxClockSkew", $"must not be negative, was {MaxClockSkew}");
        }

        if (MaxReadingAge <= TimeSpan.Zero)
        {
            yield return Failure("MaxReadingAge", $"must be positive, was {MaxReadingAge}");
        }

        if (RejectionLogInterval < TimeSpan.Zero)
        {
            yield return Failure("RejectionLogInterval", $"must not be negative, was {RejectionLogInterval}");
        }

        if (!float.IsFinite(FuelTankCapacityL) || FuelTankCapacityL < 0)
        {
            yield return Failure("FuelTankCapacityL", $"must be 0 (unknown) or a positive number of litres, was {FuelTankCapacityL}");
        }

        if (SensorCatalog.TryCreate(Sensors, FuelTankCapacityL, out string? badKey, out string? problem) is null)
        {
            yield return Failure($"Sensors:{badKey}", problem!);
        }
    }

    /// <summary>The catalog of <see cref="Sensors"/> (validated options); throws naming a bad sensor.</summary>
    internal SensorCatalog CreateCatalog() =>
        SensorCatalog.TryCreate(Sensors, FuelTankCapacityL, out string? badKey, out string? problem)
            ?? throw Invalid($"{SectionName}:Sensors:{badKey}", problem!);

    /// <summary>MQTT 3.1.1 §4.7: '#' only alone as the last level, '+' only alone as a level, no NUL.</summary>
    private static bool IsTopicFilter(string filter)
    {
        if (string.IsNullOrEmpty(filter) || filter.Length > 65535 || filter.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        string[] levels = filter.Split('/');
        for (int i = 0; i < levels.Length; i++)
        {
            string level = levels[i];
            if ((level.Contains('#', StringComparison.Ordinal) && (level != "#" || i != levels.Length - 1))
                || (level.Contains('+', StringComparison.Ordinal) && level != "+"))
            {
                return false;
            }
        }

        return true;
    }

    private static OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(MqttOptions), [$"Configuration '{key}' {reason}."]);

    private static ValidationResult Failure(string key, string reason) => new($"Configuration '{SectionName}:{key}' {reason}.");
}

/// <summary>Checks <see cref="MqttOptions"/> (its <see cref="IValidatableObject"/> rules), generated (no reflection, AOT-safe).</summary>
[OptionsValidator]
internal sealed partial class MqttOptionsValidator : IValidateOptions<MqttOptions>;
