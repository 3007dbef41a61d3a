using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Buffering;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>
/// Drives the simulated clock and cuts each truck's readings into batches of
/// <see cref="SimulatorOptions.BatchSpan"/>, appending them to the truck's buffer. Simulated time
/// runs <see cref="SimulatorOptions.TimeScale"/> times faster than real time until it reaches now,
/// then keeps pace with it: no reading ever lies in the future.
/// </summary>
internal sealed class SimulatorService : BackgroundService
{
    private readonly SimulatedFleet _fleet;
    private readonly SimulatorOptions _options;
    private readonly AggregationOptions _aggregation;
    private readonly EdgeAgentMetrics _metrics;
    private readonly BatchAdmission _admission;
    private readonly TimeProvider _time;
    private readonly ILogger<SimulatorService> _logger;

    public SimulatorService(SimulatedFleet fleet, IOptions<EdgeAgentOptions> options, BatchAdmission admission, EdgeAgentMetrics metrics, TimeProvider time, ILogger<SimulatorService> logger)
    {
        _admission = admission;
        _fleet = fleet;
        _options = options.Value.Simulator;
        _aggregation = options.Value.Aggregation;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EdgeAgentLog.SimulatorStarted(_logger, _fleet.Trucks.Count, _options.Tenant, _options.TimeScale, _options.StartInPast);
        long spanMs = (long)_options.BatchSpan.TotalMilliseconds;
        long stepMs = (long)_options.SampleInterval.TotalMilliseconds;
        long realStartMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long nextBatchMs = _fleet.StartMs;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(spanMs / _options.TimeScale / 2, 20, 1000));
        long[] dropped = new long[_fleet.Trucks.Count];
        var aggregators = new BatchAggregator[_fleet.Trucks.Count];
        for (int i = 0; i < aggregators.Length; i++)
        {
            aggregators[i] = new BatchAggregator(_aggregation);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            long realNowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            long simulatedNowMs = Math.Min(realNowMs, _fleet.StartMs + (long)((realNowMs - realStartMs) * _options.TimeScale));
            while (nextBatchMs + spanMs <= simulatedNowMs)
            {
                for (int i = 0; i < _fleet.Trucks.Count; i++)
                {
                    var (identity, truck, buffer) = _fleet.Trucks[i];
                    var batch = new TelemetryBatch();
                    int readings = truck.Fill(batch, nextBatchMs, spanMs, stepMs);
                    _metrics.Sampled(identity.Tenant, "simulator", readings);
                    var reduced = aggregators[i].Reduce(batch);
                    if (reduced.Batch is not null)
                    {
                        _admission.Append(buffer, identity.Tenant, reduced.Batch, reduced.Readings, reduced.Excursion);
                    }
                    if (buffer.Dropped != dropped[i])
                    {
                        dropped[i] = buffer.Dropped;
                        EdgeAgentLog.BatchesDropped(_logger, identity.Device, buffer.Dropped);
                    }
                }

                nextBatchMs += spanMs;
            }

            try
            {
                await Task.Delay(tick, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
