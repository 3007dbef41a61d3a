using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;
using Convoy.Pki;
using Google.Protobuf;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// Folds a tenant's telemetry and alert records into the changes of its next flush, skipping
/// batches at or below the store's (device, sender) sequence mark. One fold for the live projector
/// and for a rebuild, each with its own instance on its own store.
/// </summary>
internal sealed class RecordProjection
{
    private static readonly byte[] AcknowledgedKind = Encoding.UTF8.GetBytes(AlertRecordHeaders.AlertAcknowledged);
    private readonly IFleetStore _store;
    private readonly FleetHistoryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Dictionary<SenderKey, ulong>> _marks = new(StringComparer.Ordinal);

    public RecordProjection(IFleetStore store, FleetHistoryMetrics metrics, ILogger logger)
    {
        _store = store;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Each tenant's changes not yet written.</summary>
    public Dictionary<string, TenantChanges> Pending { get; } = new(StringComparer.Ordinal);

    /// <summary>Records folded into <see cref="Pending"/> since it was last written or forgotten.</summary>
    public int PendingRecords { get; set; }

    /// <summary>Drops what is pending and every cached mark: the records are to be read again from the store's positions.</summary>
    public void Forget()
    {
        Pending.Clear();
        PendingRecords = 0;
        _marks.Clear();
    }

    /// <summary>A record read and left out (before a rebuild's start): its partition's position moves past it all the same.</summary>
    public void Pass(ConsumeResult<Ignore, ReusedValue> record)
    {
        if (TenantTopics.TenantOf(record.Topic) is { } tenant && DeviceIdentity.IsValidTenant(tenant))
        {
            PendingOf(tenant).Offsets[new PartitionKey(record.Topic, record.Partition.Value)] = record.Offset.Value + 1;
            PendingRecords++;
        }
    }

    /// <summary>Drops the tenant's cached marks: they are read from the store again when its next record comes.</summary>
    public void ForgetMarks(string tenant) => _marks.Remove(tenant);

    /// <summary>Folds one record into its tenant's pending changes; an unreadable one is logged and passed over.</summary>
    public void Project(ConsumeResult<Ignore, ReusedValue> record)
    {
        string topic = record.Topic;
        string? tenant = TenantTopics.TenantOf(topic);
        var partition = new PartitionKey(topic, record.Partition.Value);
        if (tenant is null || !DeviceIdentity.IsValidTenant(tenant))
        {
            FleetHistoryLog.UnreadableRecord(_logger, topic, partition.Partition, record.Offset.Value, "the topic is not a tenant's telemetry or alert topic");
            return;
        }

        var changes = PendingOf(tenant);
        changes.Offsets[partition] = record.Offset.Value + 1;
        changes.Records++;
        PendingRecords++;
        string? problem = TenantTopics.IsAlerts(topic) ? ProjectAlert(changes, record) : ProjectBatch(changes, record);
        if (problem is not null)
        {
            FleetHistoryLog.UnreadableRecord(_logger, topic, partition.Partition, record.Offset.Value, problem);
        }
    }

    private string? ProjectBatch(TenantChanges changes, ConsumeResult<Ignore, ReusedValue> record)
    {
        var headers = record.Message.Headers;
        // Tenant and device are the ones the collector authenticated, in the record's headers.
        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Tenant, out byte[] tenantBytes) || Encoding.UTF8.GetString(tenantBytes) != changes.Tenant)
        {
            return "its convoy-tenant header is missing or does not match the topic";
        }

        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Device, out byte[] deviceBytes) || deviceBytes.Length == 0)
        {
            return "it has no convoy-device header";
        }

        if (!headers.TryGetLastBytes(TelemetryRecordHeaders.Sequence, out byte[] sequenceBytes) || sequenceBytes.Length != 8)
        {
            return "it has no 8-byte convoy-sequence header";
        }

        string device = Encoding.UTF8.GetString(deviceBytes);
        string sender = headers.TryGetLastBytes(TelemetryRecordHeaders.Sender, out byte[] senderBytes) ? Encoding.UTF8.GetString(senderBytes) : "";
        ulong sequence = BinaryPrimitives.ReadUInt64BigEndian(sequenceBytes);
        var key = new SenderKey(device, sender);
        var marks = Marks(changes.Tenant);
        if (marks.TryGetValue(key, out ulong mark) && sequence <= mark)
        {
            _metrics.Replayed(changes.Tenant);
            return null;
        }

        if (!TelemetryFold.TryApply(changes, device, record.Message.Value.Span, out int readings, out string? problem))
        {
            return problem;
        }

        marks[key] = sequence;
        changes.Sequences[key] = sequence;
        _metrics.Projected(changes.Tenant, "telemetry", readings);
        return null;
    }

    private string? ProjectAlert(TenantChanges changes, ConsumeResult<Ignore, ReusedValue> record)
    {
        if (record.Message.Headers is { } headers && headers.TryGetLastBytes(AlertRecordHeaders.Record, out byte[] kind))
        {
            return kind.AsSpan().SequenceEqual(AcknowledgedKind)
                ? ProjectAcknowledgement(changes, record)
                : $"its {AlertRecordHeaders.Record} header names a record kind this version does not know ('{Encoding.UTF8.GetString(kind)}')";
        }

        Alert alert;
        try
        {
            alert = Alert.Parser.ParseFrom(record.Message.Value.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not a convoy.alerts.v1.Alert: " + e.Message;
        }

        if (alert.TenantId != changes.Tenant)
        {
            return "its tenant_id does not match the topic";
        }

        if (string.IsNullOrEmpty(alert.AlertId) || string.IsNullOrEmpty(alert.DeviceId))
        {
            return "it has no alert_id or device_id";
        }

        changes.AddAlert(alert);

        _metrics.Projected(changes.Tenant, "alerts", 0);
        return null;
    }

    /// <summary>
    /// Folds an AlertAcknowledged record into the alert history. It is kept by alert id whether or
    /// not the alert is known yet (see <see cref="AlertAcknowledgement"/>), and a replay writes the
    /// same acknowledgement again.
    /// </summary>
    private string? ProjectAcknowledgement(TenantChanges changes, ConsumeResult<Ignore, ReusedValue> record)
    {
        AlertAcknowledged acknowledged;
        try
        {
            acknowledged = AlertAcknowledged.Parser.ParseFrom(record.Message.Value.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not a convoy.alerts.v1.AlertAcknowledged: " + e.Message;
        }

        if (acknowledged.TenantId != changes.Tenant)
        {
            return "its tenant_id does not match the topic";
        }

        if (string.IsNullOrEmpty(acknowledged.AlertId) || string.IsNullOrEmpty(acknowledged.DeviceId) || acknowledged.Acknowledgement is not { } ack)
        {
            return "it has no alert_id, device_id or acknowledgement";
        }

        changes.AddAcknowledgement(new AlertAcknowledgement(acknowledged.AlertId, acknowledged.DeviceId, ack.By, ack.Note, ack.TimeUnixMs));
        _metrics.Projected(changes.Tenant, "acknowledgements", 0);
        return null;
    }

    private TenantChanges PendingOf(string tenant)
    {
        if (!Pending.TryGetValue(tenant, out var changes))
        {
            Pending[tenant] = changes = new TenantChanges(tenant);
        }

        return changes;
    }

    /// <summary>The tenant's (device, sender) sequence marks, read from the store the first time the tenant is seen.</summary>
    private Dictionary<SenderKey, ulong> Marks(string tenant)
    {
        if (!_marks.TryGetValue(tenant, out var marks))
        {
            _marks[tenant] = marks = new Dictionary<SenderKey, ulong>(_store.Sequences(tenant));
        }

        return marks;
    }
}
