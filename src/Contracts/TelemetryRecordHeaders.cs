namespace Convoy.Contracts;

/// <summary>
/// Headers of a telemetry record in Kafka (topic <c>telemetry.&lt;tenant&gt;</c>, key = device id,
/// value = the validated <c>convoy.telemetry.v1.TelemetryBatch</c> bytes exactly as the device sent
/// them). Integers are 8-byte big-endian; strings UTF-8. A traced batch's record also carries the
/// collector's span for it in W3C's <see cref="TraceParent.Header"/> (and <see cref="TraceParent.StateHeader"/>)
/// header; an untraced one carries neither (docs/operations.md, "Traces").
/// </summary>
public static class TelemetryRecordHeaders
{
    /// <summary>Tenant, as authenticated by the collector (never taken from the payload).</summary>
    public const string Tenant = "convoy-tenant";

    /// <summary>Device, as authenticated by the collector.</summary>
    public const string Device = "convoy-device";

    /// <summary>The batch's sequence number (uint64), in its sender's sequence space for the device (<see cref="Sender"/>).</summary>
    public const string Sequence = "convoy-sequence";

    /// <summary>
    /// Who wrote the batch for the device, as authenticated by the collector: absent for the device
    /// itself (its own certificate), <c>partner:&lt;sub&gt;</c> for a partner writing for it (its
    /// token's subject). Each sender numbers the device's batches in a sequence space of its own,
    /// so a consumer de-duplicates by (tenant, device, sender, sequence): one sender's sequences can
    /// never make another's look like replays.
    /// </summary>
    public const string Sender = "convoy-sender";

    /// <summary>Schema of the value, <see cref="SchemaTelemetryV1"/>.</summary>
    public const string Schema = "convoy-schema";

    /// <summary>When the collector received the batch, ms since the Unix epoch (int64).</summary>
    public const string ReceivedAt = "convoy-received-ms";

    public const string SchemaTelemetryV1 = "convoy.telemetry.v1.TelemetryBatch";

    /// <summary>The <see cref="Sender"/> of a partner whose token names <paramref name="subject"/> in 'sub'.</summary>
    public static string PartnerSender(string subject) => "partner:" + subject;

    /// <summary>The prefix of every tenant's telemetry topic, <see cref="TelemetryTopic"/>.</summary>
    public const string TelemetryTopicPrefix = "telemetry.";

    /// <summary>Topic of a tenant's telemetry.</summary>
    public static string TelemetryTopic(string tenant) => TelemetryTopicPrefix + tenant;

    /// <summary>Whether <paramref name="topic"/> is <paramref name="tenant"/>'s telemetry topic (compared in place, per record).</summary>
    public static bool IsTelemetryTopicOf(string topic, string tenant) =>
        topic.Length == TelemetryTopicPrefix.Length + tenant.Length
        && topic.StartsWith(TelemetryTopicPrefix, StringComparison.Ordinal)
        && topic.AsSpan(TelemetryTopicPrefix.Length).SequenceEqual(tenant);

    /// <summary>Topic of a tenant's alerts.</summary>
    public static string AlertTopic(string tenant) => "alerts." + tenant;
}
