using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts;

namespace Convoy.AlertEngine.Consumption;

/// <summary>
/// What the collector's headers on a telemetry record say, read the one way the live consumer and
/// the rule replay both trust: the tenant the collector authenticated, the sender, and when the
/// collector took the batch.
/// </summary>
internal static class TelemetryRecords
{
    /// <summary>
    /// Reads the tenant and the source. False, with the reason, when the record has no tenant header,
    /// or (in a per-tenant topic) a tenant other than the topic's: then something other than the
    /// collector wrote it, and nothing is done on its word.
    /// </summary>
    public static bool TryRead<TValue>(ConsumeResult<Ignore, TValue> record, out string tenant, out RecordSource source, out string? problem)
    {
        source = default;
        problem = null;
        tenant = string.Empty;
        var headers = record.Message.Headers;
        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Tenant, out byte[] header))
        {
            problem = "it has no convoy-tenant header";
            return false;
        }

        tenant = Encoding.UTF8.GetString(header);
        if (record.Topic.StartsWith(TelemetryRecordHeaders.TelemetryTopicPrefix, StringComparison.Ordinal) && !TelemetryRecordHeaders.IsTelemetryTopicOf(record.Topic, tenant))
        {
            problem = "its tenant header does not match the topic";
            return false;
        }

        // The sender (a partner writing for the device) numbers its batches apart from the device's
        // own; when the collector received it bounds how far ahead its readings may be.
        string? sender = headers.TryGetLastBytes(TelemetryRecordHeaders.Sender, out byte[] s) && s.Length > 0 ? Encoding.UTF8.GetString(s) : null;
        long receivedAt = headers.TryGetLastBytes(TelemetryRecordHeaders.ReceivedAt, out byte[] r) && r.Length == 8
            ? (long)BinaryPrimitives.ReadUInt64BigEndian(r)
            : record.Message.Timestamp.Type == TimestampType.CreateTime ? record.Message.Timestamp.UnixTimestampMs : 0;
        source = new RecordSource(sender, receivedAt);
        return true;
    }
}
