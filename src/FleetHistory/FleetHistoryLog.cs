namespace Convoy.FleetHistory;

/// <summary>The fleet history program's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class FleetHistoryLog
{
    [LoggerMessage(EventId = 1, EventName = "ProjectorStarted", Level = LogLevel.Information,
        Message = "Projecting {TopicPattern} as group {GroupId} from {BootstrapServers} into {Store}")]
    public static partial void ProjectorStarted(ILogger logger, string topicPattern, string groupId, string bootstrapServers, string store);

    [LoggerMessage(EventId = 2, EventName = "Listening", Level = LogLevel.Information,
        Message = "Fleet history query API on {Grpc} (gRPC) and {Http} (HTTP/JSON)")]
    public static partial void Listening(ILogger logger, string grpc, string http);

    [LoggerMessage(EventId = 10, EventName = "PartitionsAssigned", Level = LogLevel.Information,
        Message = "Projecting {Count} partition(s), resuming where the store says: {Positions}")]
    public static partial void PartitionsAssigned(ILogger logger, int count, string positions);

    [LoggerMessage(EventId = 11, EventName = "PartitionsHandedOver", Level = LogLevel.Information,
        Message = "Handed over {Count} partition(s) ({How})")]
    public static partial void PartitionsHandedOver(ILogger logger, int count, string how);

    [LoggerMessage(EventId = 20, EventName = "UnreadableRecord", Level = LogLevel.Warning,
        Message = "Skipped record {Topic}[{Partition}]@{Offset}: {Reason}")]
    public static partial void UnreadableRecord(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 21, EventName = "ConsumeFailed", Level = LogLevel.Warning,
        Message = "Reading the tenant topics failed: {Reason}")]
    public static partial void ConsumeFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 30, EventName = "StoreWriteFailed", Level = LogLevel.Error,
        Message = "The store refused a write ({Reason}); projecting again from its last position in {DelayMs} ms")]
    public static partial void StoreWriteFailed(ILogger logger, string reason, int delayMs);

    [LoggerMessage(EventId = 40, EventName = "RetentionApplied", Level = LogLevel.Information,
        Message = "Retention of tenant {Tenant}: deleted {Positions} fix(es), {Rollups} rollup(s) and {Alerts} resolved alert(s) older than {PositionsDays}, {RollupsDays} and {AlertsDays} days")]
    public static partial void RetentionApplied(ILogger logger, string tenant, long positions, long rollups, long alerts, int positionsDays, int rollupsDays, int alertsDays);

    [LoggerMessage(EventId = 41, EventName = "TrackCompacted", Level = LogLevel.Information,
        Message = "Track of tenant {Tenant}: {Moved} fix(es) of closed hours sorted by device and time, {Settled} fix(es) of closed days sorted again")]
    public static partial void TrackCompacted(ILogger logger, string tenant, long moved, long settled);

    [LoggerMessage(EventId = 50, EventName = "AlertAcknowledged", Level = LogLevel.Information,
        Message = "Alert {AlertId} of {Tenant}/{Device} acknowledged by {By}")]
    public static partial void AlertAcknowledged(ILogger logger, string alertId, string tenant, string device, string by);

    [LoggerMessage(EventId = 51, EventName = "AcknowledgementNotWritten", Level = LogLevel.Warning,
        Message = "Kafka did not take the acknowledgement of alert {AlertId} of tenant {Tenant}: {Reason}")]
    public static partial void AcknowledgementNotWritten(ILogger logger, string alertId, string tenant, string reason);

    [LoggerMessage(EventId = 52, EventName = "ProducerError", Level = LogLevel.Warning,
        Message = "The acknowledgement producer reports: {Reason}")]
    public static partial void ProducerError(ILogger logger, string reason);

    [LoggerMessage(EventId = 60, EventName = "WatchStarted", Level = LogLevel.Information,
        Message = "Fleet watch of tenant {Tenant} by {Subject} started: {Devices} device(s) in its snapshot")]
    public static partial void WatchStarted(ILogger logger, string tenant, string subject, int devices);

    [LoggerMessage(EventId = 61, EventName = "WatchEnded", Level = LogLevel.Information,
        Message = "Fleet watch of tenant {Tenant} by {Subject} ended after {Changes} change(s): {Why}")]
    public static partial void WatchEnded(ILogger logger, string tenant, string subject, long changes, string why);

    [LoggerMessage(EventId = 31, EventName = "StoreReadFailed", Level = LogLevel.Error,
        Message = "A query of tenant {Tenant} failed in the store: {Reason}")]
    public static partial void StoreReadFailed(ILogger logger, string tenant, string reason);

    [LoggerMessage(EventId = 70, EventName = "RebuildStarted", Level = LogLevel.Information,
        Message = "Rebuilding tenant {Tenant}'s projections from {From}: {Records} record(s) to read beside the live version")]
    public static partial void RebuildStarted(ILogger logger, string tenant, string from, long records);

    [LoggerMessage(EventId = 71, EventName = "RebuildProgress", Level = LogLevel.Information,
        Message = "Rebuild of tenant {Tenant}: {Records} record(s) read, {Remaining} to go")]
    public static partial void RebuildProgress(ILogger logger, string tenant, long records, long remaining);

    [LoggerMessage(EventId = 72, EventName = "RebuildSwitched", Level = LogLevel.Information,
        Message = "Tenant {Tenant}'s rebuilt projections are live ({Records} record(s) read in {Seconds:F1} s); the old version is dropped")]
    public static partial void RebuildSwitched(ILogger logger, string tenant, long records, double seconds);

    [LoggerMessage(EventId = 73, EventName = "RebuildFailed", Level = LogLevel.Error,
        Message = "Rebuild of tenant {Tenant} failed, the live version stays: {Reason}")]
    public static partial void RebuildFailed(ILogger logger, string tenant, string reason);

    [LoggerMessage(EventId = 42, EventName = "TopicRetentionSet", Level = LogLevel.Information,
        Message = "Tenant {Tenant}'s topic retention: {Change}")]
    public static partial void TopicRetentionSet(ILogger logger, string tenant, string change);

    [LoggerMessage(EventId = 43, EventName = "TopicRetentionNotSet", Level = LogLevel.Warning,
        Message = "Tenant {Tenant}'s topic retention could not be set ({Reason}); trying again in {Minutes} min")]
    public static partial void TopicRetentionNotSet(ILogger logger, string tenant, string reason, int minutes);
}
