using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Batching;

/// <summary>
/// Cuts the truck's non-GPS sensor readings (from <see cref="SensorReadings"/>) into batches and
/// appends them to the device's buffer, beside the GPS batches. A batch is cut when the next reading
/// would stretch it beyond <see cref="DeviceOptions.BatchSpan"/> of reading time, when it holds
/// <see cref="MaxReadings"/>, and, since sensors may fall silent (a parked truck, a reefer switched
/// off), when it has been open for a span of wall time: a reading never waits in memory for longer
/// than about one span before it is on disk.
/// <para>
/// Readings that come with a <see cref="SensorReading.Receipt"/> (MQTT QoS 1) are acknowledged to
/// their source only once their batch is appended and made durable (<see cref="IBatchBuffer.MakeDurable"/>)
/// and the per-sensor high-water marks are saved (<see cref="SensorHighWaterMarks"/>): a power cut or
/// a <c>kill -9</c> before that leaves them unacknowledged, and the broker sends them again after the
/// restart; one after it finds them at or below the marks and drops them as duplicates. A batch is
/// also cut when it holds <see cref="SensorReadings.UnacknowledgedLimit"/> such readings, since the
/// broker sends no more until some are acknowledged. With pre-aggregation, readings the aggregation
/// holds back (at most its CoalesceFor, and KeepBefore around a band) are acknowledged with the raw
/// batch they came in, before they are on disk.
/// </para>
/// </summary>
internal sealed class SensorBatcher : BackgroundService
{
    /// <summary>Readings per batch at most: bounds memory and keeps a batch far below the collector's size limit.</summary>
    public const int MaxReadings = 10_000;

    private readonly SensorReadings _readings;
    private readonly IBatchBuffer _buffer;
    private readonly BatchAdmission _admission;
    private readonly Aggregation.BatchAggregator _aggregator;
    private readonly DeviceOptions _device;
    private readonly EdgeAgentMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly SensorBatchBuilder _builder;
    private readonly List<IReadingReceipt> _receipts = [];
    private int _receiptsWaiting;
    private readonly string? _marksFolder;
    private readonly bool _fsyncMarks;
    private readonly Dictionary<string, long> _marks;
    private readonly ILogger _logger;
    private long _openedAt;

    public SensorBatcher(SensorReadings readings, SensorCatalog catalog, DeviceRegistry devices, IOptions<EdgeAgentOptions> options, BatchAdmission admission, EdgeAgentMetrics metrics,
        TimeProvider time, ILogger<SensorBatcher>? logger = null)
    {
        _admission = admission;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _readings = readings;
        _buffer = devices.All[0].Buffer;
        // Its own aggregator: these sensors are not the GPS batcher's, so their state never mixes.
        _aggregator = new Aggregation.BatchAggregator(options.Value.Aggregation);
        _device = options.Value.Device;
        _metrics = metrics;
        _time = time;
        _builder = new SensorBatchBuilder(catalog, _buffer.Device, _device.BatchSpan, MaxReadings);
        if (_buffer is DurableBatchLog log)
        {
            _marksFolder = log.Folder;
            _fsyncMarks = log.FsyncPolicy != FsyncPolicy.Never;
        }

        _marks = SensorHighWaterMarks.Recover(_marksFolder, _buffer);
        _builder.Restore(_marks);
    }

    /// <summary>Readings whose receipts were handed back (stored, or duplicates of stored ones) so far.</summary>
    public long Receipted { get; private set; }

    /// <summary>Readings in the open batch whose receipts wait for it to be stored.</summary>
    public int ReceiptsWaiting => Volatile.Read(ref _receiptsWaiting);

    /// <summary>Readings dropped as duplicates (same sensor, same time) so far.</summary>
    public long Duplicates => _builder.Duplicates;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The tick wakes the loop when no reading does, to cut a batch that has been open long enough.
        var tickPeriod = TimeSpan.FromTicks(Math.Min(_device.BatchSpan.Ticks / 4, TimeSpan.TicksPerSecond));
        using var tick = _time.CreateTimer(static s => ((SensorReadings)s!).Writer.TryWrite(SensorReading.Tick), _readings, tickPeriod, tickPeriod);
        var reader = _readings.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                await DrainAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what has arrived still goes out below.
        }

        await DrainAsync();
        await CutAsync();

        // What the aggregation still holds goes to disk before the agent stops.
        Append(_aggregator.Flush(_buffer.Device));
    }

    private async Task DrainAsync()
    {
        var reader = _readings.Reader;
        while (reader.TryRead(out var reading))
        {
            if (!reading.IsTick)
            {
                await AddAsync(reading);
            }
        }

        if (_builder.Count > 0 && _time.GetElapsedTime(_openedAt) >= _device.BatchSpan)
        {
            await CutAsync();
        }
    }

    private async Task AddAsync(SensorReading reading)
    {
        if (!_builder.Fits(reading))
        {
            await CutAsync();
        }

        long duplicates = _builder.Duplicates;
        if (_builder.Count == 0)
        {
            _openedAt = _time.GetTimestamp();
        }

        bool added = _builder.Add(reading);
        CountDuplicates(duplicates);
        if (reading.Receipt is not { } receipt)
        {
            return;
        }

        if (!added && _receipts.Count == 0)
        {
            // At or below what is already stored for the sensor: nothing to wait for. (Behind
            // receipts still waiting it waits too: MQTT wants acknowledgements in arrival order.)
            await HandBackAsync(receipt);
            return;
        }

        _receipts.Add(receipt);
        Volatile.Write(ref _receiptsWaiting, _receipts.Count);
        if (_receipts.Count >= _readings.UnacknowledgedLimit)
        {
            await CutAsync(); // the source sends nothing more until these are acknowledged
        }
    }

    private async Task CutAsync()
    {
        long duplicates = _builder.Duplicates;
        TelemetryBatch? batch = _builder.Cut(out int readings);
        CountDuplicates(duplicates);
        if (batch is not null && readings > 0)
        {
            _metrics.Sampled(_device.Tenant, "mqtt", readings);
            Append(_aggregator.Reduce(batch));
        }

        if (_receipts.Count == 0)
        {
            return;
        }

        // Stored for good before the source may forget: the batch durable, then the marks that
        // recognise these readings if the source sends them again.
        _buffer.MakeDurable();
        SaveMarks();
        foreach (var receipt in _receipts)
        {
            await HandBackAsync(receipt);
        }

        _receipts.Clear();
        Volatile.Write(ref _receiptsWaiting, 0);
    }

    private void SaveMarks()
    {
        if (_marksFolder is null)
        {
            return;
        }

        _builder.CopyMarks(_marks);
        try
        {
            SensorHighWaterMarks.Save(_marksFolder, _marks, _buffer.LastSequence, _fsyncMarks);
        }
        catch (IOException e)
        {
            // The buffer's own kept batches still raise the marks at the next start; only a batch the
            // collector acknowledged meanwhile could then be sent again.
            EdgeAgentLog.SensorMarksNotSaved(_logger, _marksFolder, e.Message);
        }
    }

    private async Task HandBackAsync(IReadingReceipt receipt)
    {
        await receipt.StoredAsync();
        Receipted++;
    }

    private void Append(Aggregation.ReducedBatch reduced)
    {
        if (reduced.Batch is not null)
        {
            _admission.Append(_buffer, _device.Tenant, reduced.Batch, reduced.Readings, reduced.Excursion);
        }
    }

    private void CountDuplicates(long before)
    {
        long added = _builder.Duplicates - before;
        if (added > 0)
        {
            _metrics.SensorDuplicates(_device.Tenant, added);
        }
    }
}
