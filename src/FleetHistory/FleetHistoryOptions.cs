using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Convoy.Tenancy;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory;

/// <summary>Configuration section <c>FleetHistory</c>.</summary>
public sealed class FleetHistoryOptions : IValidatableObject
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

    /// <summary>
    /// Where the projections live: the embedded DuckDB store (a file per tenant, in
    /// <see cref="DataFolder"/>, this process's only) or a ClickHouse server that every instance
    /// shares (<see cref="ClickHouse"/>). See docs/configuration/fleet-history.md for when to move.
    /// </summary>
    public FleetStoreKind Store { get; set; } = FleetStoreKind.DuckDb;

    /// <summary>The ClickHouse store, used when <see cref="Store"/> is <see cref="FleetStoreKind.ClickHouse"/>.</summary>
    [ValidateObjectMembers]
    public ClickHouseStoreOptions ClickHouse { get; set; } = new();

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

    /// <summary>
    /// Flushes a fleet watch (WatchFleet) may fall behind, its changes not yet sent, before it is
    /// ended with RESOURCE_EXHAUSTED (the caller watches again and starts from a new snapshot).
    /// </summary>
    [SettingRange("FleetHistory:WatchBacklog", 1, 10_000)]
    public int WatchBacklog { get; set; } = 64;

    /// <summary>
    /// The tenant registry, the JSON file the collector follows too (its <c>Collector:TenantsFile</c>),
    /// followed on disk: each tenant's retention and ClickHouse isolation, and who may query (a
    /// disabled tenant, or one a closed registry does not list, is refused). Empty = none: every
    /// tenant has the platform's settings.
    /// </summary>
    public string TenantsFile { get; set; } = "";

    /// <summary>How long each tenant's history is kept unless the registry or its admin (SetRetention) says otherwise.</summary>
    [ValidateObjectMembers]
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>How often retention is enforced in the store, in minutes.</summary>
    [SettingRange("FleetHistory:RetentionCheckMinutes", 1, 1440)]
    public int RetentionCheckMinutes { get; set; } = 60;

    /// <summary>
    /// The alert engine's rules folder (its <c>AlertEngine:RulesFolder</c>: per-tenant rule files
    /// <c>&lt;tenant&gt;.yaml</c>, <c>.yml</c> or <c>.json</c>), followed for changes as the engine
    /// follows it: GetRules reports each tenant's rules from it, and device tags (GetFleetState's
    /// <c>tags</c>, WatchFleet's) come from it. Empty = none: every tenant has the default rules
    /// (the <c>AlertEngine</c> section's, when this program is given it) and no device has tags.
    /// </summary>
    public string RulesFolder { get; set; } = "";

    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(FlushMilliseconds);

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        foreach (var taken in new[] { PortInUse.Check("FleetHistory:GrpcPort", Address, GrpcPort), PortInUse.Check("FleetHistory:HttpPort", Address, HttpPort) })
        {
            if (taken is not null)
            {
                yield return taken;
            }
        }

        if (!Enum.IsDefined(Store))
        {
            yield return new ValidationResult($"Configuration 'FleetHistory:Store' must be DuckDb or ClickHouse, was {Store}.");
        }

        if (TenantsFile.Length > 0 && !File.Exists(TenantsFile))
        {
            yield return new ValidationResult(
                $"Configuration 'FleetHistory:TenantsFile' names no file: '{Path.GetFullPath(TenantsFile)}' does not exist; give the collector's Collector:TenantsFile, or leave it empty.");
        }

        if (RulesFolder.Length > 0 && !Directory.Exists(RulesFolder))
        {
            yield return new ValidationResult(
                $"Configuration 'FleetHistory:RulesFolder' names no folder: '{Path.GetFullPath(RulesFolder)}' does not exist; give the alert engine's AlertEngine:RulesFolder, or leave it empty.");
        }
    }
}

/// <summary>Where the fleet history program keeps its projections (<c>FleetHistory:Store</c>).</summary>
public enum FleetStoreKind
{
    /// <summary>Embedded: a DuckDB file per tenant in <c>FleetHistory:DataFolder</c>.</summary>
    DuckDb,

    /// <summary>A ClickHouse server over HTTP, <c>FleetHistory:ClickHouse:*</c>.</summary>
    ClickHouse,
}

/// <summary>Configuration section <c>FleetHistory:ClickHouse</c>: the ClickHouse store.</summary>
public sealed class ClickHouseStoreOptions : IValidatableObject
{
    /// <summary>ClickHouse's HTTP interface (not the native protocol's port 9000).</summary>
    public string Url { get; set; } = "http://127.0.0.1:8123/";

    /// <summary>A database per tenant, or tables every tenant shares keyed by a tenant column, for each tenant whose registry entry does not choose (<c>Store:Isolation</c>).</summary>
    public ClickHouseIsolation Isolation { get; set; } = ClickHouseIsolation.DatabasePerTenant;

    /// <summary>
    /// The shared tables' database, or the prefix of each tenant's (<c>convoy_acme</c>, with
    /// <c>-</c> in a tenant id as <c>_</c>). Created when missing.
    /// </summary>
    [Required(ErrorMessage = DatabaseRule)]
    [RegularExpression("[a-z][a-z0-9_]{0,62}", ErrorMessage = DatabaseRule)]
    public string Database { get; set; } = "convoy";

    private const string DatabaseRule = "Configuration 'FleetHistory:ClickHouse:Database' must be 1..63 of [a-z0-9_], starting with a letter.";

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult($"Configuration 'FleetHistory:ClickHouse:Url' must be an absolute http:// or https:// URL of ClickHouse's HTTP interface, was '{Url}'.");
        }

        if (!Enum.IsDefined(Isolation))
        {
            yield return new ValidationResult($"Configuration 'FleetHistory:ClickHouse:Isolation' must be DatabasePerTenant or SharedTables, was {Isolation}.");
        }
    }
}

/// <summary>Section <c>FleetHistory:Retention</c>: the platform's default days of history, per kind.</summary>
public sealed class RetentionOptions
{
    public const int MaxDays = TenantRetention.MaxDays;

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
