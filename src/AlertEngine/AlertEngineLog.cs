namespace Convoy.AlertEngine;

/// <summary>The alert engine's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class AlertEngineLog
{
    [LoggerMessage(EventId = 1, EventName = "AlertEngineStarted", Level = LogLevel.Information,
        Message = "Alert engine consuming {TopicPattern} as group {GroupId} from {BootstrapServers} with {Rules} rule(s)")]
    public static partial void Started(ILogger logger, string topicPattern, string groupId, string bootstrapServers, int rules);

    [LoggerMessage(EventId = 10, EventName = "AlertRaised", Level = LogLevel.Information,
        Message = "Alert {AlertId} {State}: {Tenant}/{Device} rule {RuleId}: {Text}")]
    public static partial void AlertRaised(ILogger logger, string alertId, Contracts.Alerts.V1.AlertState state, string tenant, string device, string ruleId, string text);

    [LoggerMessage(EventId = 20, EventName = "UnreadableRecord", Level = LogLevel.Warning,
        Message = "Skipped record {Topic}[{Partition}]@{Offset}: {Reason}")]
    public static partial void UnreadableRecord(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 21, EventName = "LateBatchDropped", Level = LogLevel.Warning,
        Message = "Dropped batch {Sequence} of {Tenant}/{Device} ({Topic}[{Partition}]@{Offset}): its {Readings} reading(s) are older than the device's newest minus the allowed lateness")]
    public static partial void LateBatchDropped(ILogger logger, string tenant, string device, ulong sequence, string topic, int partition, long offset, int readings);

    [LoggerMessage(EventId = 22, EventName = "AheadBatchDropped", Level = LogLevel.Warning,
        Message = "Dropped batch {Sequence} of {Tenant}/{Device} ({Topic}[{Partition}]@{Offset}): a reading lies more than the allowed clock skew after the batch was received; its device's clock is wrong")]
    public static partial void AheadBatchDropped(ILogger logger, string tenant, string device, ulong sequence, string topic, int partition, long offset);

    [LoggerMessage(EventId = 40, EventName = "RulesLoaded", Level = LogLevel.Information,
        Message = "Rules of tenant {Tenant} loaded from {Source}: {Rules} rule(s)")]
    public static partial void RulesLoaded(ILogger logger, string tenant, string source, int rules);

    [LoggerMessage(EventId = 41, EventName = "RulesRejected", Level = LogLevel.Error,
        Message = "Rule file rejected, the previous rules stay in force: {Error}")]
    public static partial void RulesRejected(ILogger logger, string error);

    [LoggerMessage(EventId = 42, EventName = "RulesRemoved", Level = LogLevel.Information,
        Message = "Rule file of tenant {Tenant} removed: its devices now follow the default rules")]
    public static partial void RulesRemoved(ILogger logger, string tenant);

    [LoggerMessage(EventId = 30, EventName = "AlertWriteFailed", Level = LogLevel.Warning,
        Message = "Kafka did not confirm alert {AlertId} ({Error}); retrying before the batch's offset is stored")]
    public static partial void AlertWriteFailed(ILogger logger, string alertId, string error);

    [LoggerMessage(EventId = 31, EventName = "ConsumeFailed", Level = LogLevel.Warning,
        Message = "Consume failed: {Error}")]
    public static partial void ConsumeFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 50, EventName = "RuleStateLoaded", Level = LogLevel.Information,
        Message = "Rule state of {Devices} device(s) loaded from {StateTopic} for {Partitions} newly assigned partition(s)")]
    public static partial void StateLoaded(ILogger logger, int devices, string stateTopic, int partitions);

    [LoggerMessage(EventId = 51, EventName = "RuleStateWriteFailed", Level = LogLevel.Warning,
        Message = "Kafka did not confirm the rule state of {Devices} device(s) in {StateTopic} ({Error}); offsets stay unstored and the write is retried")]
    public static partial void StateWriteFailed(ILogger logger, int devices, string stateTopic, string error);

    [LoggerMessage(EventId = 52, EventName = "RuleStateLoadFailed", Level = LogLevel.Error,
        Message = "Could not load the rule state from {StateTopic} for {Partitions} assigned partition(s) ({Error}); their devices start without state")]
    public static partial void StateLoadFailed(ILogger logger, string stateTopic, int partitions, string error);

    [LoggerMessage(EventId = 53, EventName = "PartitionsHandedOver", Level = LogLevel.Information,
        Message = "{Partitions} partition(s) {How}: state of {Devices} device(s) dropped from memory")]
    public static partial void PartitionsHandedOver(ILogger logger, int partitions, string how, int devices);
}
