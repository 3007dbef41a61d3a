using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Batching;

/// <summary>
/// Cuts the truck's non-GPS sensor readings (from <see cref="SensorReadings"/>) into batches and
/// appends them to the device's buffer, beside the GPS batches. A batch is cut when the next reading
/// would stretch it beyond <see cref="DeviceOptions.BatchSpan"/> of reading time, when it holds
/// <see cref="MaxReadings"/>, and, since sensors may fall silent (a parked truck, a reefer switched
/// off), when it has been open for a span of wall time: a reading never waits in memory for longer
/// than about one span before it is on disk.
/// </summary>
internal sealed class SensorBatcher : BackgroundService
{
    /// <summary>Readings per batch at most: bounds memory and keeps a batch far below the collector's size limit.</summary>
    public const int MaxReadings = 10_000;

    private readonly SensorReadings _readings;
    private readonly IBatchBuffer _buffer;
    private readonly Aggregation.BatchAggregator _aggregator;
    private readonly DeviceOptions _device;
    private readonly EdgeAgentMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly SensorBatchBuilder _builder;
    private long _openedAt;

    public SensorBatcher(SensorReadings readings, SensorCatalog catalog, DeviceRegistry devices, IOptions<EdgeAgentOptions> options, EdgeAgentMetrics metrics, TimeProvider time)
    {
        _readings = readings;
        _buffer = devices.All[0].Buffer;
        // Its own aggregator: these sensors are not the GPS batcher's, so their state never mixes.
        _aggregator = new Aggregation.BatchAggregator(options.Value.Aggregation);
        _device = options.Value.Device;
        _metrics = metrics;
        _time = time;
        _builder = new SensorBatchBuilder(catalog, _buffer.Device, _device.BatchSpan, MaxReadings);
    }

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
                Drain();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what has arrived still goes out below.
        }

        Drain();
        Cut();

        // What the aggregation still holds goes to disk before the agent stops.
        Append(_aggregator.Flush(_buffer.Device));
    }

    private void Drain()
    {
        var reader = _readings.Reader;
        while (reader.TryRead(out var reading))
        {
            if (!reading.IsTick)
            {
                Add(reading);
            }
        }

        if (_builder.Count > 0 && _time.GetElapsedTime(_openedAt) >= _device.BatchSpan)
        {
            Cut();
        }
    }

    private void Add(in SensorReading reading)
    {
        if (!_builder.Fits(reading))
        {
            Cut();
        }

        long duplicates = _builder.Duplicates;
        if (_builder.Count == 0)
        {
            _openedAt = _time.GetTimestamp();
        }

        _builder.Add(reading);
        CountDuplicates(duplicates);
    }

    private void Cut()
    {
        long duplicates = _builder.Duplicates;
        TelemetryBatch? batch = _builder.Cut(out int readings);
        CountDuplicates(duplicates);
        if (batch is not null && readings > 0)
        {
            _metrics.Sampled(_device.Tenant, readings);
            Append(_aggregator.Reduce(batch));
        }
    }

    private void Append(Aggregation.ReducedBatch reduced)
    {
        if (reduced.Batch is not null)
        {
            _buffer.Append(reduced.Batch, reduced.Readings, reduced.Excursion);
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
