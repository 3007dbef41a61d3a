using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Convoy.Kafka.Embedded;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka;

/// <summary>
/// The Kafka cluster this process talks to: the configured brokers, or the embedded cluster.
/// Hands out client configurations with Convoy's defaults and the pass-through properties, and
/// creates topics on first use. One per process (a singleton).
/// </summary>
public sealed class KafkaCluster : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly ILogger<KafkaCluster> _logger;
    private readonly EmbeddedKafkaCluster? _embedded;
    private readonly bool _ownsEmbedded;
    private readonly ConcurrentDictionary<string, Task> _topics = new(StringComparer.Ordinal);
    private readonly Lock _creatingAdmin = new();
    private IAdminClient? _admin;

    /// <param name="options">Where Kafka is and how to talk to it; none: the embedded cluster.</param>
    /// <param name="logger">Where the clients' and the embedded cluster's events are logged.</param>
    /// <param name="shared">An embedded cluster started by the caller (tests, the demo); not disposed here.</param>
    public KafkaCluster(IOptions<KafkaOptions> options, ILogger<KafkaCluster> logger, EmbeddedKafkaCluster? shared = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        if (shared is not null)
        {
            _embedded = shared;
            BootstrapServers = shared.BootstrapServers;
        }
        else if (_options.UsesEmbeddedCluster)
        {
            _embedded = EmbeddedKafkaCluster.Start(_options.EmbeddedBrokers);
            _ownsEmbedded = true;
            BootstrapServers = _embedded.BootstrapServers;
            KafkaLog.EmbeddedClusterStarted(_logger, BootstrapServers, _embedded.BrokerCount);
        }
        else
        {
            BootstrapServers = _options.BootstrapServers!.Trim();
        }
    }

    public string BootstrapServers { get; }

    /// <summary>The embedded cluster, when this process uses one (for fault injection in tests).</summary>
    public EmbeddedKafkaCluster? Embedded => _embedded;

    /// <summary>
    /// Configuration for the one long-lived producer of a process: acks=all and idempotence, so an
    /// acknowledged write is on every in-sync replica and retries never duplicate or reorder.
    /// </summary>
    public ProducerConfig CreateProducerConfig(string clientId) => CreateProducerConfig(clientId, lingerMs: 5);

    /// <summary>
    /// As above with its own <paramref name="lingerMs"/> (how long records wait to share a
    /// request): a few milliseconds buy larger requests for high-volume telemetry, while alerts
    /// are few and waited for. Kafka:Properties:linger.ms or Kafka:ProducerProperties:linger.ms still overrides it.
    /// </summary>
    public ProducerConfig CreateProducerConfig(string clientId, int lingerMs)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = clientId,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = lingerMs,
            CompressionType = CompressionType.Lz4,
            // Give up on a write after 30 s, so the device hears UNAVAILABLE and sends again
            // instead of waiting librdkafka's default 5 minutes.
            MessageTimeoutMs = 30_000,
        };
        Apply(config, _options.ProducerProperties);
        return config;
    }

    /// <summary>
    /// Configuration for a consumer that stores offsets only after its work is done
    /// (EnableAutoOffsetStore=false, then StoreOffset), committing stored offsets in the background.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId, string clientId)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId,
            ClientId = clientId,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            // Pattern subscriptions see a new tenant's topic within this interval.
            TopicMetadataRefreshIntervalMs = 10_000,
            // Alerts are due within seconds: a broker that holds an empty fetch until this expires
            // (the embedded mock cluster does, whatever arrives meanwhile) delays new records by up
            // to it. Apache Kafka answers a fetch as soon as fetch.min.bytes (1) is there.
            FetchWaitMaxMs = 100,
        };
        Apply(config, _options.ConsumerProperties);
        return config;
    }

    /// <summary>
    /// Configuration for a reader that assigns itself partitions and positions (no consumer group,
    /// no commits): each reader sees every record, and leaves nothing behind in the cluster.
    /// </summary>
    public ConsumerConfig CreateReaderConfig(string clientId)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = clientId,
            // Required by the .NET client even for an assign-only consumer; never joined (Assign,
            // not Subscribe) and nothing is committed under it.
            GroupId = clientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
        };
        Apply(config, _options.ConsumerProperties);
        return config;
    }

    public AdminClientConfig CreateAdminConfig()
    {
        var config = new AdminClientConfig { BootstrapServers = BootstrapServers };
        Apply(config, null);
        return config;
    }

    /// <summary>
    /// Makes sure <paramref name="topic"/> exists, creating it once with the configured partition
    /// count. Concurrent callers for one topic share one creation.
    /// </summary>
    public Task EnsureTopicAsync(string topic, CancellationToken cancellationToken = default) => EnsureTopicAsync(topic, null, null, cancellationToken);

    /// <summary>
    /// As above, created (if Convoy creates it) with <paramref name="partitions"/> and
    /// <paramref name="replicationFactor"/> instead of Kafka:TopicPartitions and
    /// Kafka:TopicReplicationFactor, e.g. a tenant's own settings. An existing topic is left as it is.
    /// </summary>
    public Task EnsureTopicAsync(string topic, int? partitions, short? replicationFactor, CancellationToken cancellationToken = default) =>
        EnsureTopicAsync(topic, partitions, replicationFactor, compacted: false, cancellationToken);

    /// <summary>
    /// As <see cref="EnsureTopicAsync(string, CancellationToken)"/>, for a topic that keeps only the
    /// newest record per key (<c>cleanup.policy=compact</c>), such as the alert engine's state topic.
    /// The embedded cluster ignores topic configurations: it keeps every record (within its limits).
    /// </summary>
    public Task EnsureCompactedTopicAsync(string topic, CancellationToken cancellationToken = default) =>
        EnsureTopicAsync(topic, null, null, compacted: true, cancellationToken);

    private Task EnsureTopicAsync(string topic, int? partitions, short? replicationFactor, bool compacted, CancellationToken cancellationToken)
    {
        var task = _topics.GetOrAdd(topic, static (name, state) => state.Self.CreateOrForgetAsync(name,
            state.Partitions ?? state.Self._options.TopicPartitions, state.ReplicationFactor ?? state.Self._options.TopicReplicationFactor, state.Compacted),
            (Self: this, Partitions: partitions, ReplicationFactor: replicationFactor, Compacted: compacted));
        return task.IsCompleted ? task : task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Creates the topic (or finds it); when that fails, the failure is what every caller gets for
    /// <see cref="MissingTopicRetry"/> (every stream of a tenant asks, and a missing topic is one
    /// error, not one per stream), then it is forgotten, so the next caller looks again (an operator
    /// may have created it, the cluster may be back).
    /// </summary>
    private async Task CreateOrForgetAsync(string topic, int partitions, short replicationFactor, bool compacted)
    {
        try
        {
            await CreateTopicAsync(topic, partitions, replicationFactor, compacted).ConfigureAwait(false);
        }
        catch (Exception)
        {
            _ = Task.Delay(MissingTopicRetry, CancellationToken.None).ContinueWith(_ => _topics.TryRemove(topic, out Task? _), TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>How long a topic found missing (and not creatable) is remembered as missing before it is looked for again.</summary>
    public static readonly TimeSpan MissingTopicRetry = TimeSpan.FromSeconds(5);

    private async Task CreateTopicAsync(string topic, int partitions, short replicationFactor, bool compacted)
    {
        if (_embedded is not null)
        {
            if (_embedded.CreateTopic(topic, partitions, replicationFactor))
            {
                KafkaLog.TopicCreated(_logger, topic, partitions);
            }

            return;
        }

        // Look before creating: a topic that exists needs no CreateTopics request, which a broker
        // may refuse or (librdkafka's mock, some managed services) not implement and let time out,
        // keeping the first stream of each tenant of every new process waiting that long.
        bool? exists = await Task.Run(() => Exists(topic)).ConfigureAwait(false);
        if (exists == true)
        {
            KafkaLog.TopicFound(_logger, topic);
            return;
        }

        if (!_options.CreateTopics)
        {
            if (exists == false)
            {
                // Operators create topics: a missing one is one clear error, not a write that times out.
                throw Missing(topic, "Kafka:CreateTopics is false, so Convoy does not create topics; create it with the tenant's partitions and retention");
            }

            return; // The cluster did not answer: the write will say what is wrong.
        }

        try
        {
            await Admin().CreateTopicsAsync(
                [new TopicSpecification
                {
                    Name = topic,
                    NumPartitions = partitions,
                    ReplicationFactor = replicationFactor,
                    Configs = compacted ? new Dictionary<string, string> { ["cleanup.policy"] = "compact" } : null,
                }],
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(15) }).ConfigureAwait(false);
            KafkaLog.TopicCreated(_logger, topic, partitions);
        }
        catch (CreateTopicsException e) when (e.Results.TrueForAll(static r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // Someone else created it first: fine.
        }
        catch (KafkaException e)
        {
            // Not allowed or not supported. Convoy never relies on a broker creating a topic on its
            // first write (auto.create.topics.enable would give it the broker's defaults, not the
            // tenant's): unless the topic is there now, that is the one error every caller gets.
            if (await Task.Run(() => Exists(topic)).ConfigureAwait(false) == true)
            {
                return;
            }

            throw Missing(topic, $"the cluster refused to create it ({e.Error.Reason}); create it, or allow this client to create topics");
        }
    }

    private KafkaTopicMissingException Missing(string topic, string why)
    {
        var missing = new KafkaTopicMissingException(topic, $"Kafka topic {topic} does not exist at {BootstrapServers}: {why}");
        KafkaLog.TopicMissing(_logger, topic, missing.Message);
        return missing;
    }

    /// <summary>
    /// Whether the cluster lists <paramref name="topic"/>; null when it did not answer (metadata of
    /// every topic: asking for one by name could make a broker auto-create it).
    /// </summary>
    private bool? Exists(string topic)
    {
        try
        {
            return Admin().GetMetadata(TimeSpan.FromSeconds(5)).Topics.Exists(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError);
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>
    /// Asks the cluster for its brokers (a metadata request, with this process's client settings);
    /// null when it answered within <paramref name="timeout"/>, else why not, in words an operator
    /// can act on: <c>no broker answered within 2 s at 127.0.0.1:9092 (Local: Timed out)</c>.
    /// </summary>
    public string? Probe(TimeSpan timeout)
    {
        try
        {
            var metadata = Admin().GetMetadata(timeout);
            return metadata.Brokers.Count > 0 ? null : $"the Kafka cluster at {BootstrapServers} answered but lists no brokers";
        }
        catch (KafkaException e)
        {
            return $"no broker answered within {timeout.TotalSeconds:0.#} s at {BootstrapServers} ({e.Error.Reason})";
        }
    }

    // Shared by topic creation and probes, which may run at once (a readiness probe, gRPC health).
    private IAdminClient Admin()
    {
        lock (_creatingAdmin)
        {
            return _admin ??= new AdminClientBuilder(CreateAdminConfig()).Build();
        }
    }

    // Kafka:Properties for every client, then the client type's own section over them.
    private void Apply(ClientConfig config, Dictionary<string, string>? forThisKind)
    {
        foreach (var (key, value) in _options.Properties)
        {
            config.Set(key, value);
        }

        foreach (var (key, value) in forThisKind ?? [])
        {
            config.Set(key, value);
        }
    }

    public void Dispose()
    {
        _admin?.Dispose();
        if (_ownsEmbedded)
        {
            _embedded!.Dispose();
        }
    }
}

/// <summary>
/// A topic Convoy needs does not exist and could not be created: the one error every writer to it
/// gets (as <see cref="ErrorCode.UnknownTopicOrPart"/>) until an operator creates it. Its message
/// names the topic, the cluster and what to do.
/// </summary>
public sealed class KafkaTopicMissingException(string topic, string message) : KafkaException(new Error(ErrorCode.UnknownTopicOrPart, message))
{
    public string Topic { get; } = topic;
}
