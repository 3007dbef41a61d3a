using System.ComponentModel.DataAnnotations;
using Convoy.AlertEngine.Rules;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine;

/// <summary>Configuration section <c>AlertEngine</c>.</summary>
public sealed class AlertEngineOptions : IValidatableObject
{
    public const string SectionName = "AlertEngine";

    /// <summary>Kafka consumer group; every engine instance of one deployment shares it.</summary>
    [Required(ErrorMessage = "Configuration 'AlertEngine:GroupId' must not be empty.")]
    public string GroupId { get; set; } = "convoy-alert-engine";

    /// <summary>
    /// Topics to evaluate, as a librdkafka regular expression (starts with ^): every tenant's
    /// <c>telemetry.&lt;tenant&gt;</c>, and the shared <c>telemetry</c> topic of the collector's shared mode.
    /// </summary>
    [Required(ErrorMessage = "Configuration 'AlertEngine:TopicPattern' must be a regular expression starting with ^.")]
    [RegularExpression(@"\^[\s\S]*", ErrorMessage = "Configuration 'AlertEngine:TopicPattern' must be a regular expression starting with ^.")]
    public string TopicPattern { get; set; } = @"^telemetry(\..+)?$";

    /// <summary>Listen address of the operations port (<see cref="MetricsPort"/>): 127.0.0.1 by default, 0.0.0.0 for a scraper on another host.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Plain-HTTP port of the Prometheus endpoint <c>/metrics</c> and the probes <c>/healthz</c> and
    /// <c>/readyz</c>; 0 = any free port, -1 = off. The engine serves nothing else.
    /// </summary>
    [SettingRange("AlertEngine:MetricsPort", -1, 65535, Reason = "must be -1 (off), 0 (any free port) or a port up to 65535")]
    public int MetricsPort { get; set; } = 9465;

    /// <summary>
    /// Folder of per-tenant rule files (<c>&lt;tenant&gt;.yaml</c>, <c>.yml</c> or <c>.json</c>), followed
    /// for changes; empty = none. A tenant with a file gets exactly its file's rules; every other
    /// tenant gets the rule lists below.
    /// </summary>
    public string RulesFolder { get; set; } = "";

    /// <summary>
    /// How far behind a device's newest reading (event time) a batch may be and still be applied,
    /// in event-time order, in seconds; 0 = apply every batch on arrival. Older batches are counted
    /// and logged, not applied.
    /// </summary>
    [SettingRange("AlertEngine:AllowedLatenessSeconds", 0, 3600, Reason = "must be 0..3600 seconds")]
    public double AllowedLatenessSeconds { get; set; }

    /// <summary>
    /// How far ahead of the time the collector received a batch (its record's convoy-received-ms
    /// header; the engine's clock when absent) a reading may lie, in seconds. A batch with a reading
    /// beyond it is counted and logged, not applied, and does not move its device's event time: one
    /// outlier must not make every later reading of the device too late. Keep it equal to the
    /// collector's Collector:MaxClockSkew (5 minutes), which refuses such batches at the door.
    /// </summary>
    [SettingRange("AlertEngine:MaxClockSkewSeconds", 0, 86_400, Reason = "must be 0..86400 seconds")]
    public double MaxClockSkewSeconds { get; set; } = DefaultMaxClockSkew.TotalSeconds;

    /// <summary>The collector's default Collector:MaxClockSkew, and so the engine's.</summary>
    public static readonly TimeSpan DefaultMaxClockSkew = TimeSpan.FromMinutes(5);

    public TimeSpan MaxClockSkew => TimeSpan.FromSeconds(MaxClockSkewSeconds);

    /// <summary>
    /// Compacted Kafka topic of the per-device rule state (one record per tenant and device), shared
    /// by every engine of the group: what lets a device's partition move to another engine, or an
    /// engine restart, without losing an alert's progress or firing it twice.
    /// </summary>
    public string StateTopic { get; set; } = "convoy.alert-state";

    /// <summary>Records between two state checkpoints (state written, then offsets stored) while records keep coming.</summary>
    [SettingRange("AlertEngine:CheckpointRecords", 1, 1_000_000)]
    public int CheckpointRecords { get; set; } = 50_000;

    public TimeSpan AllowedLateness => TimeSpan.FromSeconds(AllowedLatenessSeconds);

    /// <summary>Temperature rules, applied to every tenant without a rule file.</summary>
    public List<TemperatureRuleOptions> TemperatureRules { get; } = [];

    /// <summary>Over-speed rules on <c>gps.speed_kmh</c>, applied to every tenant.</summary>
    public List<SpeedRuleOptions> SpeedRules { get; } = [];

    /// <summary>Fuel-theft rules on <c>fuel.level_percent</c> while standing still, applied to every tenant.</summary>
    public List<FuelTheftRuleOptions> FuelTheftRules { get; } = [];

    /// <summary>Geofence rules on the GPS fixes, applied to every tenant.</summary>
    public List<GeofenceRuleOptions> GeofenceRules { get; } = [];

    /// <summary>Rules of every kind.</summary>
    public int RuleCount => TemperatureRules.Count + SpeedRules.Count + FuelTheftRules.Count + GeofenceRules.Count;

    /// <summary>
    /// The rules that span settings, touch the disk or need a rule's index in their key (the
    /// simple ones are attributes); run by <see cref="AlertEngineOptionsValidator"/> with them.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(StateTopic) || StateTopic.StartsWith("telemetry", StringComparison.Ordinal) || StateTopic.StartsWith("alerts.", StringComparison.Ordinal))
        {
            yield return Invalid("AlertEngine:StateTopic", $"must name a topic of its own, not empty nor a telemetry or alerts topic, was '{StateTopic}'");
        }

        if (!System.Net.IPAddress.TryParse(Address, out _))
        {
            yield return Invalid("AlertEngine:Address", $"must be an IP address such as 127.0.0.1 or 0.0.0.0, was '{Address}'");
        }

        if (PortInUse.Check("AlertEngine:MetricsPort", Address, MetricsPort) is { } taken)
        {
            yield return taken;
        }

        if (RulesFolder.Length > 0 && !Directory.Exists(RulesFolder))
        {
            yield return Invalid("AlertEngine:RulesFolder", $"names no folder: '{Path.GetFullPath(RulesFolder)}' does not exist");
        }

        // Ids are unique across every kind: a device's rule state and its alert ids are keyed by rule id.
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<ValidationResult>();
        for (int i = 0; i < TemperatureRules.Count; i++)
        {
            Rule(failures, ids, $"AlertEngine:TemperatureRules:{i}", TemperatureRules[i].Id, TemperatureRules[i].Check);
        }

        for (int i = 0; i < SpeedRules.Count; i++)
        {
            Rule(failures, ids, $"AlertEngine:SpeedRules:{i}", SpeedRules[i].Id, SpeedRules[i].Check);
        }

        for (int i = 0; i < FuelTheftRules.Count; i++)
        {
            Rule(failures, ids, $"AlertEngine:FuelTheftRules:{i}", FuelTheftRules[i].Id, FuelTheftRules[i].Check);
        }

        for (int i = 0; i < GeofenceRules.Count; i++)
        {
            Rule(failures, ids, $"AlertEngine:GeofenceRules:{i}", GeofenceRules[i].Id, GeofenceRules[i].Check);
        }

        foreach (var failure in failures)
        {
            yield return failure;
        }
    }

    /// <summary>One rule's own checks (they word their keys with the rule's index), then its id's uniqueness.</summary>
    private static void Rule(List<ValidationResult> failures, HashSet<string> ids, string key, string id, Action<string, List<ValidationResult>> check)
    {
        int before = failures.Count;
        check(key, failures);
        if (failures.Count == before && !ids.Add(id))
        {
            failures.Add(Invalid($"{key}:Id", $"'{id}' is used by another rule"));
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");
}

/// <summary>Checks <see cref="AlertEngineOptions"/>: its attributes and its <see cref="IValidatableObject"/> rules, generated (no reflection).</summary>
[OptionsValidator]
internal sealed partial class AlertEngineOptionsValidator : IValidateOptions<AlertEngineOptions>;
