using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Batching;

/// <summary>
/// Cuts the truck's GPS fixes into batches of <see cref="DeviceOptions.BatchSpan"/> (by the fixes'
/// own time) and appends them to the device's buffer. Only valid fixes become readings. A
/// receiver that sends no speed or course for an epoch gets the last known one (0 before any),
/// since the contract requires finite values in every column; so does a speed above
/// <see cref="NmeaOptions.MaxSpeedKmh"/>, which is dropped and counted.
/// </summary>
internal sealed class GpsBatcher : BackgroundService
{
    private readonly INmeaSource _source;
    private readonly IBatchBuffer _buffer;
    private readonly DeviceOptions _device;
    private readonly EdgeAgentMetrics _metrics;
    private readonly BatchAggregator _aggregator;
    private readonly double _maxSpeedKmh;

    public GpsBatcher(IOptions<NmeaOptions> nmea, DeviceRegistry devices, IOptions<EdgeAgentOptions> options, EdgeAgentMetrics metrics, TimeProvider time, ILogger<GpsBatcher> logger)
    {
        _source = NmeaSources.Create(nmea.Value, logger, time);
        _buffer = devices.All[0].Buffer;
        _device = options.Value.Device;
        _metrics = metrics;
        _aggregator = new BatchAggregator(options.Value.Aggregation);
        _maxSpeedKmh = nmea.Value.MaxSpeedKmh;
    }

    /// <summary>GPS values dropped as implausible so far.</summary>
    public long Implausible { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long spanMs = (long)_device.BatchSpan.TotalMilliseconds;
        TelemetryBatch? batch = null;
        float speed = 0, heading = 0;
        try
        {
            await foreach (var fix in _source.ReadFixesAsync(stoppingToken))
            {
                if (!fix.Valid)
                {
                    continue;
                }

                if (batch is not null && (fix.UnixTimeMs >= batch.BaseTimeUnixMs + spanMs || fix.UnixTimeMs < batch.BaseTimeUnixMs + batch.Gps.OffsetMs[^1]))
                {
                    Flush(batch);
                    batch = null;
                }

                batch ??= new TelemetryBatch { DeviceId = _buffer.Device, BaseTimeUnixMs = fix.UnixTimeMs, Gps = new GpsColumns() };
                if (fix.SpeedKmh is { } s)
                {
                    if (s <= _maxSpeedKmh)
                    {
                        speed = (float)s;
                    }
                    else
                    {
                        // A glitch (9,999 knots is 18,518 km/h): keep the last plausible speed, never a clamped one.
                        Implausible++;
                        _metrics.GpsImplausible(_device.Tenant, "speed_kmh");
                    }
                }

                heading = fix.HeadingDeg is { } h ? (float)h : heading;
                batch.Gps.OffsetMs.Add((uint)(fix.UnixTimeMs - batch.BaseTimeUnixMs));
                batch.Gps.LatitudeDeg.Add(fix.Latitude);
                batch.Gps.LongitudeDeg.Add(fix.Longitude);
                batch.Gps.SpeedKmh.Add(speed);
                batch.Gps.HeadingDeg.Add(heading);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was read so far still goes out below.
        }

        if (batch is not null)
        {
            Flush(batch);
        }

        // What the aggregation still holds (the last fix of a stop) goes to disk before the agent stops.
        Append(_aggregator.Flush(_buffer.Device));
    }

    private void Flush(TelemetryBatch batch)
    {
        int readings = batch.Gps.OffsetMs.Count;
        _metrics.Sampled(_device.Tenant, readings);
        Append(_aggregator.Reduce(batch));
    }

    private void Append(ReducedBatch reduced)
    {
        if (reduced.Batch is not null)
        {
            _buffer.Append(reduced.Batch, reduced.Readings, reduced.Excursion);
        }
    }
}
