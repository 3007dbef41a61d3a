using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Load;

/// <summary>
/// Reads every tenant's <c>alerts.&lt;tenant&gt;</c> while the load runs (the embedded Kafka
/// drops old records, so reading afterwards would miss some) and notes when each probe alert
/// arrived, keyed by the (device, source sequence) of the batch that caused it. The reader polls
/// with a 1 ms fetch wait, so "arrived here" is at most about a millisecond after "confirmed in
/// Kafka": the latency measured is an upper bound of the engine's.
/// </summary>
internal sealed class AlertWatch : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly Thread _thread;
    private readonly string _probeRule;
    private volatile bool _stopping;
    private long _alerts;

    public AlertWatch(string bootstrapServers, int tenants, int partitions, string probeRule)
    {
        _probeRule = probeRule;
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "convoy-engine-load-watch",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 1,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        var assignment = new List<TopicPartitionOffset>();
        for (int t = 0; t < tenants; t++)
        {
            for (int p = 0; p < partitions; p++)
            {
                assignment.Add(new TopicPartitionOffset(TelemetryRecordHeaders.AlertTopic($"fleet-{t}"), p, Offset.Beginning));
            }
        }

        _consumer.Assign(assignment);
        _thread = new Thread(Run) { IsBackground = true, Name = "alert-watch" };
        _thread.Start();
    }

    /// <summary>Arrival times (<see cref="Stopwatch"/> ticks) of probe alerts, by <see cref="FleetTelemetry.Key"/>.</summary>
    public ConcurrentDictionary<long, long> Arrivals { get; } = new();

    /// <summary>Alerts of any rule read so far.</summary>
    public long Alerts => Interlocked.Read(ref _alerts);

    /// <summary>Alerts of other rules than the probe: the simulated fleet should raise none.</summary>
    public long Unexpected { get; private set; }

    private void Run()
    {
        while (!_stopping)
        {
            var record = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record?.Message is null)
            {
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            var alert = Alert.Parser.ParseFrom(record.Message.Value);
            Interlocked.Increment(ref _alerts);
            if (alert.RuleId != _probeRule)
            {
                Unexpected++;
                continue;
            }

            Arrivals.TryAdd(FleetTelemetry.Key(FleetTelemetry.DeviceIndex(alert.DeviceId), alert.SourceSequence), now);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _consumer.Close();
        _consumer.Dispose();
    }
}
