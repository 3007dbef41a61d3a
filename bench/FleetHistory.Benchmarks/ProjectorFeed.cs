using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// What <see cref="Projector"/> does with each telemetry record once Kafka has handed it over,
/// without Kafka: the partition's next offset, the replay check against the (device, sender)
/// marks, the fold, the new mark; and a store write of the tenant's changes every
/// <see cref="FlushRecords"/> records (the projector's <c>FlushRecords</c>). Without a store it
/// folds only and drops each flush.
/// </summary>
internal sealed class ProjectorFeed
{
    private const int Partitions = 4;
    private readonly string _tenant;
    private readonly IFleetStore? _store;
    private readonly PartitionKey[] _partitions;
    private readonly long[] _offsets = new long[Partitions];
    private readonly Dictionary<SenderKey, ulong> _marks = [];
    private TenantChanges _changes;

    public ProjectorFeed(string tenant, IFleetStore? store, int flushRecords)
    {
        _tenant = tenant;
        _store = store;
        FlushRecords = flushRecords;
        _changes = new TenantChanges(tenant);
        _partitions = [.. Enumerable.Range(0, Partitions).Select(p => new PartitionKey("telemetry." + tenant, p))];
    }

    public int FlushRecords { get; }

    public long Readings { get; private set; }

    public int Flushes { get; private set; }

    public void Add(in FleetRecord record)
    {
        // The collector keys records by device, so a device's batches stay in one partition.
        int partition = record.Device[^1] % Partitions;
        _changes.Offsets[_partitions[partition]] = ++_offsets[partition];
        _changes.Records++;
        var key = new SenderKey(record.Device, "");
        if (!(_marks.TryGetValue(key, out ulong mark) && record.Sequence <= mark))
        {
            if (!TelemetryFold.TryApply(_changes, record.Device, record.Payload, out int readings, out string? problem))
            {
                throw new InvalidOperationException("a generated batch did not fold: " + problem);
            }

            _marks[key] = record.Sequence;
            _changes.Sequences[key] = record.Sequence;
            Readings += readings;
        }

        if (_changes.Records >= FlushRecords)
        {
            Flush();
        }
    }

    public void Flush()
    {
        if (_changes.IsEmpty)
        {
            return;
        }

        _store?.Write(_changes);
        Flushes++;
        _changes = new TenantChanges(_tenant);
    }
}
