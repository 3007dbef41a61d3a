using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory;

/// <summary>Configuration section <c>FleetHistory</c>.</summary>
public sealed class FleetHistoryOptions
{
    public const string SectionName = "FleetHistory";

    /// <summary>The section of the bearer token settings, named in their validation messages.</summary>
    public const string TokensSection = "FleetHistory:Tokens";

    /// <summary>The <c>aud</c> query tokens must carry unless <c>FleetHistory:Tokens:Audience</c> says otherwise.</summary>
    public const string TokenAudience = "convoy-fleet-history";

    /// <summary>Listen address of both ports.</summary>
    [Required(ErrorMessage = "Configuration 'FleetHistory:Address' must be an IP address.")]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>gRPC port (HTTP/2 without TLS, for a gateway or mesh in front); 0 = any free port.</summary>
    [SettingRange("FleetHistory:GrpcPort", 0, 65535)]
    public int GrpcPort { get; set; } = 5090;

    /// <summary>HTTP/JSON port (HTTP/1.1: the same methods for dashboards and curl, and /metrics); 0 = any free port.</summary>
    [SettingRange("FleetHistory:HttpPort", 0, 65535)]
    public int HttpPort { get; set; } = 5091;

    /// <summary>Folder of the embedded store: one DuckDB file per tenant, <c>&lt;tenant&gt;.duckdb</c>.</summary>
    [Required(ErrorMessage = "Configuration 'FleetHistory:DataFolder' must name a folder.")]
    public string DataFolder { get; set; } = "fleet-history";

    /// <summary>Kafka consumer group; every instance of one deployment shares it and they split the partitions.</summary>
    [Required(ErrorMessage = "Configuration 'FleetHistory:GroupId' must not be empty.")]
    public string GroupId { get; set; } = "convoy-fleet-history";

    /// <summary>Topics to project, a librdkafka regular expression: every tenant's telemetry and alerts.</summary>
    [Required(ErrorMessage = "Configuration 'FleetHistory:TopicPattern' must be a regular expression starting with ^.")]
    [RegularExpression(@"\^[\s\S]*", ErrorMessage = "Configuration 'FleetHistory:TopicPattern' must be a regular expression starting with ^.")]
    public string TopicPattern { get; set; } = @"^(telemetry|alerts)\.[a-z0-9-]+$";

    /// <summary>
    /// How long records gather before they are written, in milliseconds: a write per tenant holds
    /// every record of the interval, so a larger value writes fewer, larger transactions and a
    /// smaller one makes data queryable sooner.
    /// </summary>
    [SettingRange("FleetHistory:FlushMilliseconds", 10, 10_000)]
    public int FlushMilliseconds { get; set; } = 250;

    /// <summary>Records that force a write before the interval is over.</summary>
    [SettingRange("FleetHistory:FlushRecords", 1, 1_000_000)]
    public int FlushRecords { get; set; } = 20_000;

    /// <summary>Queries a tenant may run per second, all its callers together; over it, RESOURCE_EXHAUSTED.</summary>
    [SettingRange("FleetHistory:QueriesPerSecond", 1, 1_000_000)]
    public int QueriesPerSecond { get; set; } = 50;

    /// <summary>Queries a tenant may run at once above its rate (the bucket's size).</summary>
    [SettingRange("FleetHistory:QueryBurst", 1, 1_000_000)]
    public int QueryBurst { get; set; } = 100;

    /// <summary>How long each tenant's history is kept unless its admin set otherwise (SetRetention).</summary>
    [ValidateObjectMembers]
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>How often retention is enforced in the store, in minutes.</summary>
    [SettingRange("FleetHistory:RetentionCheckMinutes", 1, 1440)]
    public int RetentionCheckMinutes { get; set; } = 60;

    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(FlushMilliseconds);
}

/// <summary>Section <c>FleetHistory:Retention</c>: the platform's default days of history, per kind.</summary>
public sealed class RetentionOptions
{
    public const int MaxDays = 3660;

    /// <summary>GPS fixes (tracks).</summary>
    [SettingRange("FleetHistory:Retention:PositionsDays", 1, MaxDays)]
    public int PositionsDays { get; set; } = 90;

    /// <summary>1-minute and 1-hour rollups, and so the daily report.</summary>
    [SettingRange("FleetHistory:Retention:RollupsDays", 1, MaxDays)]
    public int RollupsDays { get; set; } = 730;

    /// <summary>Resolved alerts, by start time (a firing alert is kept).</summary>
    [SettingRange("FleetHistory:Retention:AlertsDays", 1, MaxDays)]
    public int AlertsDays { get; set; } = 365;
}

[OptionsValidator]
internal sealed partial class FleetHistoryOptionsValidator : IValidateOptions<FleetHistoryOptions>;
