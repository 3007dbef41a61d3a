using System.Globalization;
using Convoy.Collector.Authentication;
using Convoy.Collector.Kafka;
using Convoy.Collector.Tenancy;
using Convoy.Collector.Validation;
using Convoy.Contracts;
using Convoy.Kafka;
using Convoy.Pki;
using Convoy.Tracing;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Ingest;

/// <summary>
/// What both ways in (Stream and Upload) share: who a batch's sender is, the tenant's gate it
/// passes, the topic it goes to, and how a refusal is counted, audited and logged. One place, so
/// the two RPCs cannot drift apart.
/// </summary>
internal sealed class Intake
{
    private const string RetryPushbackTrailer = "grpc-retry-pushback-ms";
    private readonly TenantRegistry _tenants;
    private readonly AccessAudit _audit;
    private readonly CollectorMetrics _metrics;
    private readonly CollectorOptions _options;
    private readonly ILogger<IngestService> _logger;

    public Intake(TelemetryProducer producer, TenantRegistry tenants, AccessAudit audit, BatchValidator validator, CollectorMetrics metrics,
        IOptions<CollectorOptions> options, IOptions<OtlpOptions> tracing, TimeProvider time, ILogger<IngestService> logger)
    {
        RootSampling = tracing.Value.IsOn && tracing.Value.SampleRatio > 0;
        Producer = producer;
        _tenants = tenants;
        _audit = audit;
        Validator = validator;
        _metrics = metrics;
        _options = options.Value;
        Time = time;
        _logger = logger;
    }

    public TelemetryProducer Producer { get; }

    public BatchValidator Validator { get; }

    public CollectorMetrics Metrics => _metrics;

    public AccessAudit Audit => _audit;

    public TimeProvider Time { get; }

    public ILogger Logger => _logger;

    /// <summary>Whether a batch that comes without a trace context may start a trace (Otlp:SampleRatio above 0, tracing on).</summary>
    public bool RootSampling { get; }

    /// <summary>Batches a device may have in flight unacknowledged (Collector:Window).</summary>
    public int Window => _options.Window;

    /// <summary>The largest message a call may send (Collector:MaxBatchBytes): a Stream's batch, or a whole Upload request.</summary>
    public int MaxBatchBytes => _options.MaxBatchBytes;

    /// <summary>The sender of batches for <paramref name="device"/> on behalf of <paramref name="caller"/> (the device itself, or a partner).</summary>
    public AuthenticatedDevice Sender(Caller caller, DeviceIdentity device) =>
        new(device, _options.TopicMode == TelemetryTopicMode.Shared ? $"{device.Tenant}/{device.Device}" : null)
        {
            Certificate = caller.Certificate,
            Partner = caller.Partner,
            Remote = caller.Remote,
        };

    /// <summary>The sender's tenant's gate; throws PERMISSION_DENIED (audited) when the tenant may not send.</summary>
    public TenantGate Admit(AuthenticatedDevice device)
    {
        var gate = _tenants.Admit(device.Tenant, out var denied, out string reason);
        if (gate is null)
        {
            _metrics.Refused(device.Tenant, denied.StatusCode, reason);
            _audit.Record(denied.StatusCode, reason, denied.Detail, device);
            throw new RpcException(denied);
        }

        return gate;
    }

    /// <summary>The topic the sender's batches go to, created on first use with its tenant's settings.</summary>
    public async ValueTask<string> TopicAsync(AuthenticatedDevice device, CancellationToken cancellationToken)
    {
        string topic = _options.TopicMode == TelemetryTopicMode.Shared ? _options.SharedTopic : TelemetryRecordHeaders.TelemetryTopic(device.Tenant);
        var settings = _options.TopicMode == TelemetryTopicMode.Shared ? null : _tenants.TopicOf(device.Tenant);
        try
        {
            await Producer.EnsureTopicAsync(topic, settings, cancellationToken);
        }
        catch (KafkaTopicMissingException missing)
        {
            // Logged once per look by the cluster (TopicMissing); the sender keeps its batches and retries.
            _metrics.Refused(device.Tenant, StatusCode.Unavailable, RefusalReasons.TopicMissing);
            throw new RpcException(new Status(StatusCode.Unavailable, missing.Message + ". Nothing was written; send again later."), RetryAfter(KafkaCluster.MissingTopicRetry));
        }

        return topic;
    }

    /// <summary>Counts, audits (when it is about access) and logs a refused batch; returns its status.</summary>
    public Status Refuse(AuthenticatedDevice device, ulong sequence, BatchVerdict verdict)
    {
        _metrics.Refused(device.Tenant, verdict.Status, verdict.Reason);
        if (verdict.AccessReason is { } reason)
        {
            _audit.Record(verdict.Status, reason, verdict.Problem!, device);
        }

        CollectorLog.BatchRefused(_logger, device.Tenant, device.Device, sequence, verdict.Status, verdict.Problem!);
        return new Status(verdict.Status, verdict.Problem!);
    }

    /// <summary>Counts and logs a refusal over the tenant's quota; returns its status.</summary>
    public Status OverQuota(AuthenticatedDevice device, ulong sequence, (Status Status, TimeSpan RetryAfter, string Reason) over)
    {
        _metrics.Refused(device.Tenant, StatusCode.ResourceExhausted, over.Reason);
        CollectorLog.BatchRefused(_logger, device.Tenant, device.Device, sequence, StatusCode.ResourceExhausted, over.Status.Detail);
        return over.Status;
    }

    /// <summary>The standard gRPC trailer an agent honours before it tries again; empty without a delay.</summary>
    public static Metadata RetryAfter(TimeSpan delay) => delay <= TimeSpan.Zero
        ? []
        : new() { { RetryPushbackTrailer, ((long)Math.Ceiling(delay.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) } };
}
