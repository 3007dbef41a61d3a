using Confluent.Kafka;

namespace Convoy.AlertEngine.Load;

/// <summary>
/// How many telemetry records the engine has finished (its group's committed offsets, summed over
/// the partitions), polled every 50 ms. The engine stores an offset only after the alerts of the
/// record are confirmed, and commits stored offsets every 100 ms in these runs, so this trails the
/// engine by at most ~150 ms: a few percent of a 10-second window.
/// </summary>
internal sealed class EngineProgress : IDisposable
{
    /// <summary>
    /// Most batches the flood lets the engine fall behind: about 1 MB per partition of 16, well
    /// under the 5 MB the embedded Kafka keeps per partition.
    /// </summary>
    public const long MaxBacklog = 20_000;

    private readonly IConsumer<Ignore, Ignore> _offsets;
    private readonly List<TopicPartition> _partitions;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _committed;

    public EngineProgress(string bootstrapServers, string group, List<TopicPartition> partitions)
    {
        _partitions = partitions;
        // Same group id to read its commits; never subscribes, so it never joins the group.
        _offsets = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = group, EnableAutoCommit = false })
            .SetLogHandler((_, _) => { }).Build();
        _thread = new Thread(Run) { IsBackground = true, Name = "engine-progress" };
        _thread.Start();
    }

    public long Committed => Interlocked.Read(ref _committed);

    private void Run()
    {
        while (!_stopping)
        {
            try
            {
                long total = 0;
                foreach (var committed in _offsets.Committed(_partitions, TimeSpan.FromSeconds(5)))
                {
                    total += Math.Max(0, committed.Offset.Value);
                }

                Interlocked.Exchange(ref _committed, total);
            }
            catch (KafkaException)
            {
                // The group has no coordinator yet; ask again.
            }

            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _offsets.Dispose();
    }
}
