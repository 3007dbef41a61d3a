using System.Threading.Channels;
using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Collector.Tenancy;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Kafka;
using Grpc.Core;

namespace Convoy.Collector.Alerts;

/// <summary>
/// convoy.alerts.v1.AlertFeed: a partner whose token has <c>alerts:read</c> watches its tenant's
/// alerts, read from <c>alerts.&lt;tid&gt;</c> with a consumer of its own that assigns itself every
/// partition (no consumer group, no commits: a watcher leaves nothing behind in Kafka). The tenant
/// is the token's <c>tid</c> and nothing else, so no request can read another tenant's topic; each
/// record's own tenant is checked again before it is sent. Records that carry the
/// <see cref="AlertRecordHeaders.Record"/> header are events about alerts (acknowledgements), not
/// alerts, and are passed over.
/// </summary>
internal sealed class AlertFeedService : AlertFeed.AlertFeedBase
{
    /// <summary>Alerts read ahead of a slow watcher before the reader waits for it.</summary>
    private const int ReadAhead = 256;
    private readonly CallerAuthenticator _callers;
    private readonly AccessAudit _audit;
    private readonly TenantRegistry _tenants;
    private readonly KafkaCluster _cluster;
    private readonly CollectorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertFeedService> _logger;
    private readonly CancellationToken _stopping;

    public AlertFeedService(CallerAuthenticator callers, AccessAudit audit, TenantRegistry tenants, KafkaCluster cluster, CollectorMetrics metrics, TimeProvider time,
        IHostApplicationLifetime lifetime, ILogger<AlertFeedService> logger)
    {
        _callers = callers;
        _audit = audit;
        _tenants = tenants;
        _cluster = cluster;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _stopping = lifetime.ApplicationStopping;
    }

    public override async Task WatchAlerts(WatchAlertsRequest request, IServerStreamWriter<Alert> responseStream, ServerCallContext context)
    {
        var caller = await _callers.AuthenticateAsync(context, PartnerRoles.AlertsRead, devicesMay: false);
        var partner = caller.Partner!;
        if (request.TenantId.Length > 0 && request.TenantId != caller.Tenant)
        {
            throw _audit.Refuse(StatusCode.PermissionDenied, RefusalReasons.WrongTenant,
                $"tenant_id '{request.TenantId}' is not the tenant of this token ('tid' {caller.Tenant}); a token watches its own tenant only",
                caller.Tenant, caller.Principal, null, caller.Remote);
        }

        if (_tenants.Admit(caller.Tenant, out var denied, out string reason) is null)
        {
            throw _audit.Refuse(denied.StatusCode, reason, denied.Detail, caller.Tenant, caller.Principal, null, caller.Remote);
        }

        string topic = TelemetryRecordHeaders.AlertTopic(caller.Tenant);
        var start = request.Start == WatchStart.Earliest ? Offset.Beginning : Offset.End;
        try
        {
            await _cluster.EnsureTopicAsync(topic, context.CancellationToken);
        }
        catch (KafkaTopicMissingException missing)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, missing.Message + ". Watch again later."));
        }

        // The watch ends with the call, with the collector, or when the token expires.
        using var expired = new CancellationTokenSource(Until(partner.ExpiresAt), _time);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping, expired.Token);
        var alerts = Channel.CreateBounded<Alert>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
        var reader = Task.Factory.StartNew(() => Read(topic, caller.Tenant, start, alerts.Writer, watching.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        _metrics.AlertWatchOpened(caller.Tenant);
        CollectorLog.AlertWatchStarted(_logger, caller.Tenant, caller.Principal, topic, request.Start == WatchStart.Earliest ? "the earliest retained alert" : "now", caller.Remote);
        long sent = 0;
        string why = "the caller ended the call";
        try
        {
            await foreach (var alert in alerts.Reader.ReadAllAsync(watching.Token))
            {
                await responseStream.WriteAsync(alert, watching.Token);
                sent++;
                _metrics.AlertWatched(caller.Tenant);
            }
        }
        catch (OperationCanceledException) when (watching.IsCancellationRequested)
        {
            // Ended by the caller, the collector or the token's expiry: sorted out below.
        }
        catch (Exception) when (alerts.Reader.Completion.IsFaulted)
        {
            // The reader failed: sorted out below.
        }
        finally
        {
            await watching.CancelAsync();
            await reader;
            _metrics.AlertWatchClosed(caller.Tenant);
        }

        if (alerts.Reader.Completion is { IsFaulted: true } failed)
        {
            why = "Kafka: " + failed.Exception!.InnerException!.Message;
            CollectorLog.AlertWatchEnded(_logger, caller.Tenant, caller.Principal, sent, why);
            throw new RpcException(new Status(StatusCode.Unavailable, $"cannot read {topic} now ({why}); watch again"));
        }

        if (!context.CancellationToken.IsCancellationRequested && expired.IsCancellationRequested)
        {
            why = "the token expired";
            CollectorLog.AlertWatchEnded(_logger, caller.Tenant, caller.Principal, sent, why);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the token expired; watch again with a fresh token"));
        }

        if (!context.CancellationToken.IsCancellationRequested && _stopping.IsCancellationRequested)
        {
            why = "the collector is shutting down";
            CollectorLog.AlertWatchEnded(_logger, caller.Tenant, caller.Principal, sent, why);
            throw new RpcException(new Status(StatusCode.Unavailable, "the collector is shutting down; watch again (on another collector)"));
        }

        CollectorLog.AlertWatchEnded(_logger, caller.Tenant, caller.Principal, sent, why);
    }

    private TimeSpan Until(DateTimeOffset expiresAt)
    {
        var left = expiresAt - _time.GetUtcNow();
        // CancellationTokenSource takes at most ~49 days; a token that outlives that is cut there.
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > TimeSpan.FromDays(40) ? TimeSpan.FromDays(40) : left;
    }

    /// <summary>
    /// Runs on its own thread (Consume blocks): reads the tenant's alert topic from
    /// <paramref name="start"/> until <paramref name="stop"/>, handing each of the tenant's alerts on.
    /// </summary>
    private void Read(string topic, string tenant, Offset start, ChannelWriter<Alert> alerts, CancellationToken stop)
    {
        Exception? failure = null;
        try
        {
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateReaderConfig("convoy-collector-alert-feed"))
                .SetErrorHandler((_, error) => CollectorLog.KafkaProducerError(_logger, "alert feed: " + error.Reason))
                .SetLogHandler(static (_, _) => { })
                .Build();
            using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
            {
                var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
                if (metadata.Topics.Count != 1 || metadata.Topics[0].Error.IsError || metadata.Topics[0].Partitions.Count == 0)
                {
                    throw new KafkaException(metadata.Topics.Count == 1 ? metadata.Topics[0].Error : new Error(ErrorCode.UnknownTopicOrPart, $"{topic} not found"));
                }

                var partitions = new List<TopicPartitionOffset>();
                foreach (var partition in metadata.Topics[0].Partitions)
                {
                    partitions.Add(new TopicPartitionOffset(topic, partition.PartitionId, start));
                }

                consumer.Assign(partitions);
            }

            while (!stop.IsCancellationRequested)
            {
                var record = consumer.Consume(stop);
                if (record?.Message?.Value is not { } value)
                {
                    continue;
                }

                if (record.Message.Headers?.TryGetLastBytes(AlertRecordHeaders.Record, out _) == true)
                {
                    continue; // an event about an alert (an acknowledgement), not an alert: the feed streams alerts only
                }

                Alert alert;
                try
                {
                    alert = Alert.Parser.ParseFrom(value);
                }
                catch (Google.Protobuf.InvalidProtocolBufferException e)
                {
                    CollectorLog.AlertRecordSkipped(_logger, topic, record.Partition.Value, record.Offset.Value, "not a convoy.alerts.v1.Alert: " + e.Message);
                    continue;
                }

                if (alert.TenantId != tenant)
                {
                    // Never hand another tenant's alert on, whatever topic it was written to.
                    CollectorLog.AlertRecordSkipped(_logger, topic, record.Partition.Value, record.Offset.Value, $"alert of tenant '{alert.TenantId}' in {topic}");
                    continue;
                }

                while (!alerts.TryWrite(alert))
                {
                    // The watcher is slower than the topic: wait for it (this is the reader's own thread).
                    if (!alerts.WaitToWriteAsync(stop).AsTask().GetAwaiter().GetResult())
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The watch ended.
        }
        catch (Exception e) when (e is KafkaException or ArgumentException)
        {
            failure = e;
        }
        finally
        {
            alerts.TryComplete(failure);
        }
    }
}
