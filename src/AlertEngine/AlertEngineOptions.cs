using Convoy.AlertEngine.Rules;
using Convoy.Kafka;

namespace Convoy.AlertEngine;

/// <summary>Configuration section <c>AlertEngine</c>.</summary>
public sealed class AlertEngineOptions
{
    public const string SectionName = "AlertEngine";

    /// <summary>Kafka consumer group; every engine instance of one deployment shares it.</summary>
    public string GroupId { get; set; } = "convoy-alert-engine";

    /// <summary>
    /// Topics to evaluate, as a librdkafka regular expression (starts with ^): every tenant's
    /// <c>telemetry.&lt;tenant&gt;</c>, and the shared <c>telemetry</c> topic of the collector's shared mode.
    /// </summary>
    public string TopicPattern { get; set; } = @"^telemetry(\..+)?$";

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
    public double AllowedLatenessSeconds { get; set; }

    /// <summary>
    /// How far ahead of the time the collector received a batch (its record's convoy-received-ms
    /// header; the engine's clock when absent) a reading may lie, in seconds. A batch with a reading
    /// beyond it is counted and logged, not applied, and does not move its device's event time: one
    /// outlier must not make every later reading of the device too late (issue 12.3). Keep it equal
    /// to the collector's Collector:MaxClockSkew (5 minutes), which refuses such batches at the door.
    /// </summary>
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
    public int CheckpointRecords { get; set; } = 1000;

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

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            throw Invalid("AlertEngine:GroupId", "must not be empty");
        }

        if (!TopicPattern.StartsWith('^'))
        {
            throw Invalid("AlertEngine:TopicPattern", $"must be a regular expression starting with ^, was '{TopicPattern}'");
        }

        if (!double.IsFinite(AllowedLatenessSeconds) || AllowedLatenessSeconds is < 0 or > 3600)
        {
            throw Invalid("AlertEngine:AllowedLatenessSeconds", $"must be 0..3600 seconds, was {AllowedLatenessSeconds}");
        }

        if (!double.IsFinite(MaxClockSkewSeconds) || MaxClockSkewSeconds is < 0 or > 86_400)
        {
            throw Invalid("AlertEngine:MaxClockSkewSeconds", $"must be 0..86400 seconds, was {MaxClockSkewSeconds}");
        }

        if (string.IsNullOrWhiteSpace(StateTopic) || StateTopic.StartsWith("telemetry", StringComparison.Ordinal) || StateTopic.StartsWith("alerts.", StringComparison.Ordinal))
        {
            throw Invalid("AlertEngine:StateTopic", $"must name a topic of its own, not empty nor a telemetry or alerts topic, was '{StateTopic}'");
        }

        if (CheckpointRecords is < 1 or > 1_000_000)
        {
            throw Invalid("AlertEngine:CheckpointRecords", $"must be 1..1000000, was {CheckpointRecords}");
        }

        if (RulesFolder.Length > 0 && !Directory.Exists(RulesFolder))
        {
            throw Invalid("AlertEngine:RulesFolder", $"names no folder: '{Path.GetFullPath(RulesFolder)}' does not exist");
        }

        // Ids are unique across every kind: a device's rule state and its alert ids are keyed by rule id.
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < TemperatureRules.Count; i++)
        {
            TemperatureRules[i].Validate($"AlertEngine:TemperatureRules:{i}");
            Unique(ids, $"AlertEngine:TemperatureRules:{i}:Id", TemperatureRules[i].Id);
        }

        for (int i = 0; i < SpeedRules.Count; i++)
        {
            SpeedRules[i].Validate($"AlertEngine:SpeedRules:{i}");
            Unique(ids, $"AlertEngine:SpeedRules:{i}:Id", SpeedRules[i].Id);
        }

        for (int i = 0; i < FuelTheftRules.Count; i++)
        {
            FuelTheftRules[i].Validate($"AlertEngine:FuelTheftRules:{i}");
            Unique(ids, $"AlertEngine:FuelTheftRules:{i}:Id", FuelTheftRules[i].Id);
        }

        for (int i = 0; i < GeofenceRules.Count; i++)
        {
            GeofenceRules[i].Validate($"AlertEngine:GeofenceRules:{i}");
            Unique(ids, $"AlertEngine:GeofenceRules:{i}:Id", GeofenceRules[i].Id);
        }
    }

    private static void Unique(HashSet<string> ids, string key, string id)
    {
        if (!ids.Add(id))
        {
            throw Invalid(key, $"'{id}' is used by another rule");
        }
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(AlertEngineOptions), [$"Configuration '{key}' {reason}."]);
}
