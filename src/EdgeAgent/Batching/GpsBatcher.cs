using Convoy.Contracts.Telemetry;
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
/// <see cref="NmeaOptions.MaxSpeedKmh"/>, which is dropped and counted. A live receiver's time far
/// from the gateway's clock is corrected first (<see cref="GpsClock"/>), so that no batch is made
/// with a time the collector refuses. Batches go into the buffer through <see cref="BatchAdmission"/>.
/// </summary>
internal sealed class GpsBatcher : BackgroundService
{
    private readonly INmeaSource _source;
    private readonly IBatchBuffer _buffer;
    private readonly DeviceOptions _device;
    private readonly EdgeAgentMetrics _metrics;
    private readonly BatchAggregator _aggregator;
    private readonly BatchAdmission _admission;
    private readonly double _maxSpeedKmh;
    private readonly GpsClock? _clock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long[] _corrected = new long[(int)GpsTimeCorrection.ReceiveTime + 1];
    private GpsTimeCorrection _lastCorrection;

    public GpsBatcher(IOptions<NmeaOptions> nmea, DeviceRegistry devices, IOptions<EdgeAgentOptions> options, BatchAdmission admission, EdgeAgentMetrics metrics,
        TimeProvider time, ILogger<GpsBatcher> logger)
    {
        _admission = admission;
        _time = time;
        _logger = logger;
        _clock = nmea.Value.Source is NmeaSourceKind.Tcp or NmeaSourceKind.Serial ? new GpsClock(nmea.Value.MaxClockDifference) : null;
        _source = NmeaSources.Create(nmea.Value, logger, time);
        _buffer = devices.All[0].Buffer;
        _device = options.Value.Device;
        _metrics = metrics;
        _aggregator = new BatchAggregator(options.Value.Aggregation);
        _maxSpeedKmh = nmea.Value.MaxSpeedKmh;
    }

    /// <summary>The receiver's lines so far, by outcome.</summary>
    public NmeaStatistics Statistics => _source.Statistics;

    /// <summary>GPS values dropped as implausible so far.</summary>
    public long Implausible { get; private set; }

    /// <summary>Fixes whose time was corrected so far, by how (<see cref="GpsTimeCorrection.None"/> counts nothing).</summary>
    public long Corrected(GpsTimeCorrection correction) => Volatile.Read(ref _corrected[(int)correction]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long spanMs = (long)_device.BatchSpan.TotalMilliseconds;
        TelemetryBatch? batch = null;
        float speed = 0, heading = 0;
        try
        {
            await foreach (var received in _source.ReadFixesAsync(stoppingToken))
            {
                if (!received.Valid)
                {
                    continue;
                }

                var correction = GpsTimeCorrection.None;
                var fix = _clock is null ? received : received with { UnixTimeMs = Stamp(received.UnixTimeMs, out correction) };

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

                heading = fix.HeadingDeg is { } h ? BatchCheck.WireHeading(h) : heading;
                if (correction == GpsTimeCorrection.ReceiveTime)
                {
                    batch.Gps.GatewayTimed.Add((uint)batch.Gps.OffsetMs.Count); // flagged: its time is the gateway's
                }

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

    /// <summary>The time a live fix is stamped with: its own, or as <see cref="GpsClock"/> corrects it (counted, logged when the correction changes).</summary>
    private long Stamp(long fixMs, out GpsTimeCorrection correction)
    {
        long stamped = _clock!.Correct(fixMs, _time.GetUtcNow().ToUnixTimeMilliseconds(), out correction);
        if (correction != GpsTimeCorrection.None)
        {
            Interlocked.Increment(ref _corrected[(int)correction]);
            _metrics.GpsTimeCorrected(_device.Tenant, correction == GpsTimeCorrection.WeekRollover ? "week-rollover" : "receive-time");
        }

        if (correction != _lastCorrection)
        {
            NmeaLog.GpsTimeCorrection(_logger, _source.Endpoint, correction.ToString(), DateTimeOffset.FromUnixTimeMilliseconds(fixMs), DateTimeOffset.FromUnixTimeMilliseconds(stamped));
            _lastCorrection = correction;
        }

        return stamped;
    }

    private void Flush(TelemetryBatch batch)
    {
        int readings = batch.Gps.OffsetMs.Count;
        _metrics.Sampled(_device.Tenant, "gps", readings);
        Append(_aggregator.Reduce(batch));
    }

    private void Append(ReducedBatch reduced)
    {
        if (reduced.Batch is not null)
        {
            _admission.Append(_buffer, _device.Tenant, reduced.Batch, reduced.Readings, reduced.Excursion);
        }
    }
}
