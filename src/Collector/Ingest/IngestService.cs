using Convoy.Collector.Authentication;
using Convoy.Collector.Kafka;
using Convoy.Collector.Tenancy;
using Convoy.Collector.Validation;
using Confluent.Kafka;
using Metadata = Grpc.Core.Metadata;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Ingest;

/// <summary>
/// convoy.telemetry.v1.Ingest: authenticate the caller (a device by its certificate, or a partner
/// by its token), validate each batch, write it to the tenant's topic, and acknowledge only what
/// Kafka confirmed.
/// </summary>
internal sealed class IngestService
{
    public const string WindowHeader = "convoy-window";

    /// <summary>Request header naming the device of a partner's Stream (one stream is one device's ordered batches).</summary>
    public const string DeviceHeader = "convoy-device";
    private const int MaxUploadBatches = 1000;

    private const string RetryPushbackTrailer = "grpc-retry-pushback-ms";
    private readonly TelemetryProducer _producer;
    private readonly TenantRegistry _tenants;
    private readonly CertificateWatcher _certificates;
    private readonly CallerAuthenticator _callers;
    private readonly AccessAudit _audit;
    private readonly BatchValidator _validator;
    private readonly DeviceHighWaterMarks _marks;
    private readonly ActiveStreams _active;
    private readonly CollectorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestService> _logger;
    private readonly int _window;
    private readonly CollectorOptions _options;
    private readonly CancellationToken _stopping;

    public IngestService(TelemetryProducer producer, TenantRegistry tenants, CertificateWatcher certificates, CallerAuthenticator callers, AccessAudit audit, BatchValidator validator,
        DeviceHighWaterMarks marks, ActiveStreams active, CollectorMetrics metrics, IOptions<CollectorOptions> options, TimeProvider time, IHostApplicationLifetime lifetime,
        ILogger<IngestService> logger)
    {
        _callers = callers;
        _audit = audit;
        _stopping = lifetime.ApplicationStopping;
        _producer = producer;
        _tenants = tenants;
        _certificates = certificates;
        _validator = validator;
        _marks = marks;
        _active = active;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _window = options.Value.Window;
        _options = options.Value;
    }

    public async Task StreamAsync(IAsyncStreamReader<ReceivedBatch> requests, IServerStreamWriter<IngestAck> responses, ServerCallContext context)
    {
        var device = await AuthenticateStreamAsync(context);
        var gate = Admit(device);
        using var streamSlot = gate.OpenStream();
        if (streamSlot is null)
        {
            string reason = $"tenant {device.Tenant} already has its maximum of {gate.Quota.MaxStreams} streams open";
            _metrics.Refused(device.Tenant, StatusCode.ResourceExhausted, "too-many-streams");
            CollectorLog.TenantRefused(_logger, device.Tenant, device.Device, StatusCode.ResourceExhausted, reason);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, reason), RetryAfter(TimeSpan.FromSeconds(5)));
        }

        // One active stream per device: this one takes over, and starts where the old one's
        // writes ended, so the batches the device sends again are replays, not second writes.
        var claim = _active.Replace(device.Identity, context.Peer, out var replaced);
        DeviceStream? stream = null;
        try
        {
            if (replaced is not null)
            {
                _metrics.StreamReplaced(device.Tenant);
                CollectorLog.StreamReplaced(_logger, device.Tenant, device.Device, replaced.Peer, context.Peer);
                await replaced.WhenDrained.WaitAsync(context.CancellationToken);
            }

            stream = new DeviceStream(device.Identity, _window, _marks, _metrics);
            await StreamBatchesAsync(device, gate, stream, claim, requests, responses, context);
        }
        finally
        {
            if (stream is not null)
            {
                // A device that vanished leaves writes in flight: the device's next stream waits for their answers.
                await stream.DrainAsync(CancellationToken.None);
            }

            _active.Release(device.Identity, claim);
        }
    }

    private async Task StreamBatchesAsync(AuthenticatedDevice device, TenantGate gate, DeviceStream stream, ActiveStreams.Claim claim,
        IAsyncStreamReader<ReceivedBatch> requests, IServerStreamWriter<IngestAck> responses, ServerCallContext context)
    {
        string topic = Topic(device);
        await _producer.EnsureTopicAsync(topic, TopicSettings(device), context.CancellationToken);
        await context.WriteResponseHeadersAsync(new Metadata { { WindowHeader, _window.ToString(System.Globalization.CultureInfo.InvariantCulture) } });

        CollectorLog.StreamOpened(_logger, device.Tenant, device.Device, context.Peer, stream.Acked);
        _metrics.StreamOpened(device.Tenant);
        // Reading stops when the device goes, when Kafka refused a batch, when the collector stops,
        // when the device's certificate is revoked, or when a newer stream of the device took over.
        using var revoked = new CancellationTokenSource();
        using var following = device.Certificate is { } certificate ? _certificates.Follow(certificate, revoked) : null;
        // A partner's stream ends when its token does: a token is checked at the start of a call only.
        using var expired = device.Partner is { } partner ? new CancellationTokenSource(Until(partner.ExpiresAt), _time) : new CancellationTokenSource();
        using var reading = CancellationTokenSource.CreateLinkedTokenSource([context.CancellationToken, stream.Failed, _stopping, revoked.Token, claim.Replaced, expired.Token]);
        var acking = stream.WriteAcksAsync(responses, (uint)_window, context.CancellationToken);
        Status? refusal = null;
        TimeSpan retryAfter = TimeSpan.Zero;
        bool abandoned = false;
        try
        {
            while (await requests.MoveNext(reading.Token))
            {
                var received = requests.Current;
                try
                {
                    if (await AcceptAsync(received, device, gate, stream, topic, reading.Token) is { } refused)
                    {
                        (refusal, retryAfter) = refused;
                        break;
                    }
                }
                finally
                {
                    received.Return(); // librdkafka copied it, or it was refused or a replay
                }
            }

            // Let in-flight writes finish so their acks go out before the call ends.
            await stream.DrainAsync(context.CancellationToken);
        }
        catch (OperationCanceledException) when ((stream.Failed.IsCancellationRequested || _stopping.IsCancellationRequested || revoked.IsCancellationRequested
            || claim.Replaced.IsCancellationRequested || expired.IsCancellationRequested) && !context.CancellationToken.IsCancellationRequested)
        {
            // Stop reading, but let what is in flight land and be acknowledged.
            await stream.DrainAsync(context.CancellationToken);
        }
        catch (IOException e)
        {
            // The device went away mid-stream (reset the stream, lost the connection): nobody is
            // left to tell anything. What it wrote still lands (StreamAsync waits for it), and it
            // sends the rest again when it reconnects.
            CollectorLog.StreamAbandoned(_logger, device.Tenant, device.Device, context.Peer, stream.Acked, e.Message);
            abandoned = true;
        }
        finally
        {
            stream.CompleteAcks();
            _metrics.StreamClosed(device.Tenant);
            CollectorLog.StreamClosed(_logger, device.Tenant, device.Device, stream.Acked);
        }

        try
        {
            await acking;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException
            && (abandoned || context.CancellationToken.IsCancellationRequested))
        {
            // The acks had nowhere to go.
        }

        if (abandoned || context.CancellationToken.IsCancellationRequested)
        {
            return;
        }
        if (stream.Failure is { } failure)
        {
            CollectorLog.KafkaWriteFailed(_logger, device.Tenant, device.Device, stream.Acked + 1, failure);
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"Kafka did not confirm {failure}. Everything up to sequence {stream.Acked} is safe; send the rest again."));
        }

        if (refusal is { } status)
        {
            throw new RpcException(status, retryAfter > TimeSpan.Zero ? RetryAfter(retryAfter) : []);
        }

        if (revoked.IsCancellationRequested)
        {
            CallerAuthenticator.CloseConnection(context);
            _audit.Record(StatusCode.PermissionDenied, "revoked-certificate", "certificate revoked during the stream", device);
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"this device's certificate has been revoked; everything up to sequence {stream.Acked} is safe. Install a new certificate."));
        }

        if (_stopping.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"the collector is shutting down; everything up to sequence {stream.Acked} is safe. Reconnect (to another collector) and send the rest."));
        }

        if (expired.IsCancellationRequested)
        {
            _audit.Record(StatusCode.Unauthenticated, "token-expired", "the partner token expired during the stream", device);
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"the partner token expired; everything up to sequence {stream.Acked} is safe. Reconnect with a fresh token and send the rest."));
        }

        if (claim.Replaced.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Aborted,
                $"a newer stream of device {device.Device} (from {claim.ReplacedBy}) replaced this one; everything up to sequence {stream.Acked} is safe. " +
                "A device keeps one stream open: if two agents share this certificate, give each its own."));
        }
    }

    /// <summary>
    /// Validates one batch of a stream and writes it, unless it is a replay. Null when it was
    /// written or acknowledged again; otherwise the refusal that ends the stream. Over a quota it
    /// first waits, which stops reading the stream (HTTP/2 flow control holds the device back).
    /// </summary>
    private async ValueTask<(Status Status, TimeSpan RetryAfter)?> AcceptAsync(ReceivedBatch received, AuthenticatedDevice device, TenantGate gate, DeviceStream stream,
        string topic, CancellationToken reading)
    {
        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var verdict = _validator.Validate(received.Bytes, device, nowMs, out ulong sequence);
        if (!verdict.IsValid)
        {
            return (Refuse(device, sequence, verdict), TimeSpan.Zero);
        }

        switch (stream.Check(sequence))
        {
            case SequenceCheck.Replay:
                return null;
            case SequenceCheck.Backwards:
                return (Refuse(device, sequence, BatchVerdict.Invalid("sequence-backwards",
                    $"sequence {sequence} does not follow {stream.LastReceived}, the last this stream sent; a stream's sequences must increase " +
                    "(send unacknowledged batches again in order, on a new stream)")), TimeSpan.Zero);
        }

        if (await gate.AdmitAsync(verdict.Readings, received.Length, reading) is { } over)
        {
            _metrics.Refused(device.Tenant, StatusCode.ResourceExhausted, over.Reason);
            CollectorLog.BatchRefused(_logger, device.Tenant, device.Device, sequence, StatusCode.ResourceExhausted, over.Status.Detail);
            return (over.Status, over.RetryAfter);
        }

        // The tenant's allowance of bytes in flight to Kafka, then a slot in this stream's window.
        var inFlight = await gate.HoldInFlightAsync(received.Length, reading);
        if (inFlight is null)
        {
            var refusal = gate.InFlightRefusal();
            _metrics.Refused(device.Tenant, StatusCode.ResourceExhausted, refusal.Reason);
            CollectorLog.BatchRefused(_logger, device.Tenant, device.Device, sequence, StatusCode.ResourceExhausted, refusal.Status.Detail);
            return (refusal.Status, refusal.RetryAfter);
        }

        try
        {
            await stream.WaitForWindowAsync(reading);
        }
        catch (OperationCanceledException)
        {
            inFlight.Dispose();
            throw;
        }

        stream.Accept(sequence, verdict.Readings, received.Length, inFlight);
        var queued = _producer.Produce(topic, device, sequence, received.Bytes, nowMs, stream, (long)sequence);
        if (queued != Confluent.Kafka.ErrorCode.NoError)
        {
            // Refused locally (queue full, producer closing): nothing was written.
            stream.Withdraw();
            _metrics.Refused(device.Tenant, StatusCode.Unavailable, "kafka-queue-full");
            return (new Status(StatusCode.Unavailable, $"Kafka cannot take batch {sequence} now ({queued.GetReason()}); send it again"), TimeSpan.Zero);
        }

        return null;
    }

    public async Task<UploadResponse> UploadAsync(byte[] request, ServerCallContext context)
    {
        var caller = await _callers.AuthenticateAsync(context, PartnerRoles.Ingest, devicesMay: true);
        // A device sends only its own batches; a partner sends for any device of its token's
        // tenant, each batch for the device it names.
        var own = caller.Device is { } identity ? Sender(caller, identity) : null;
        var gate = own is null ? null : Admit(own);
        var payloads = SplitUpload(request);
        if (payloads.Count is 0 or > MaxUploadBatches)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"batches must hold 1..{MaxUploadBatches} batches, held {payloads.Count}"));
        }

        // All or nothing: validate every batch before writing any.
        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var batches = new List<(AuthenticatedDevice Sender, ulong Sequence, byte[] Payload, int Readings)>(payloads.Count);
        var senders = new List<AuthenticatedDevice>();
        foreach (byte[] payload in payloads)
        {
            var sender = own ?? PartnerSender(caller, payload, senders, batches.Count);
            var verdict = _validator.Validate(payload, sender, nowMs, out ulong sequence);
            if (!verdict.IsValid)
            {
                var status = Refuse(sender, sequence, verdict);
                throw new RpcException(new Status(status.StatusCode, $"batches[{batches.Count}]: {status.Detail}; nothing was written"));
            }

            batches.Add((sender, sequence, payload, verdict.Readings));
        }

        gate ??= Admit(batches[0].Sender);
        foreach (var (sender, _, payload, count) in batches)
        {
            if (await gate.AdmitAsync(count, payload.Length, context.CancellationToken) is { } over)
            {
                _metrics.Refused(sender.Tenant, StatusCode.ResourceExhausted, over.Reason);
                throw new RpcException(new Status(over.Status.StatusCode, over.Status.Detail + "; nothing was written"),
                    over.RetryAfter > TimeSpan.Zero ? RetryAfter(over.RetryAfter) : []);
            }
        }

        long uploadBytes = 0;
        foreach (var (_, _, payload, _) in batches)
        {
            uploadBytes += payload.Length;
        }

        // Held until every write of the upload is answered (the end of this call).
        using var inFlight = await gate.HoldInFlightAsync(uploadBytes, context.CancellationToken);
        if (inFlight is null)
        {
            var (status, retry, reason) = gate.InFlightRefusal();
            _metrics.Refused(caller.Tenant, StatusCode.ResourceExhausted, reason);
            throw new RpcException(new Status(status.StatusCode, status.Detail + "; nothing was written"), RetryAfter(retry));
        }

        string topic = Topic(batches[0].Sender);
        await _producer.EnsureTopicAsync(topic, TopicSettings(batches[0].Sender), context.CancellationToken);
        if (own is not null)
        {
            senders.Add(own);
        }

        var alreadyAcked = new Dictionary<AuthenticatedDevice, ulong>(senders.Count);
        foreach (var sender in senders)
        {
            alreadyAcked[sender] = _marks.Get(sender.Identity);
        }

        var writes = new List<(AuthenticatedDevice Sender, ulong Sequence, int Readings)>(batches.Count);
        foreach (var (sender, sequence, _, count) in batches)
        {
            if (sequence > alreadyAcked[sender])
            {
                writes.Add((sender, sequence, count)); // a replay of what Kafka already has is acknowledged again, not written again
            }
        }

        var deliveries = new UploadDeliveries(writes.Count);
        int written = 0;
        foreach (var (sender, sequence, payload, _) in batches)
        {
            if (sequence <= alreadyAcked[sender])
            {
                continue;
            }

            var queued = _producer.Produce(topic, sender, sequence, payload, nowMs, deliveries, written);
            if (queued != Confluent.Kafka.ErrorCode.NoError)
            {
                deliveries.OnDelivery(written, queued);
            }

            written++;
        }

        await deliveries.All;
        var highest = new Dictionary<AuthenticatedDevice, ulong>(alreadyAcked);
        int confirmed = 0;
        long readings = 0;
        string? failure = null;
        for (int i = 0; i < writes.Count; i++)
        {
            var (sender, sequence, count) = writes[i];
            if (deliveries.Outcome(i) is var outcome && outcome != Confluent.Kafka.ErrorCode.NoError)
            {
                failure ??= $"batch {sequence} of {sender.Device}: {outcome.GetReason()}";
                continue;
            }

            highest[sender] = Math.Max(highest[sender], sequence);
            confirmed++;
            readings += count;
        }

        _metrics.Acknowledged(caller.Tenant, confirmed, readings);
        if (failure is not null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Kafka did not confirm {failure}; send the upload again"));
        }

        var response = new UploadResponse();
        foreach (var sender in senders)
        {
            _marks.Advance(sender.Identity, highest[sender]);
            response.Acks.Add(new IngestAck { DeviceId = sender.Device, AckedSequence = highest[sender], Window = (uint)_window });
        }

        return response;
    }

    private TenantGate Admit(AuthenticatedDevice device)
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

    /// <summary>How long until <paramref name="expiresAt"/>, at least a millisecond (an already-expired token ends the stream at once).</summary>
    private TimeSpan Until(DateTimeOffset expiresAt)
    {
        var left = expiresAt - _time.GetUtcNow();
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>The standard gRPC trailer an agent honours before it tries again.</summary>
    private static Metadata RetryAfter(TimeSpan delay) =>
        new() { { RetryPushbackTrailer, ((long)Math.Ceiling(delay.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } };

    private TenantTopic? TopicSettings(AuthenticatedDevice device) =>
        _options.TopicMode == TelemetryTopicMode.Shared ? null : _tenants.TopicOf(device.Tenant);

    private string Topic(AuthenticatedDevice device) =>
        _options.TopicMode == TelemetryTopicMode.Shared ? _options.SharedTopic : TelemetryRecordHeaders.TelemetryTopic(device.Tenant);

    /// <summary>
    /// The device a stream is for: the certificate's device, or for a partner (role ingest) the
    /// device its <see cref="DeviceHeader"/> header names, in the token's tenant.
    /// </summary>
    private async ValueTask<AuthenticatedDevice> AuthenticateStreamAsync(ServerCallContext context)
    {
        var caller = await _callers.AuthenticateAsync(context, PartnerRoles.Ingest, devicesMay: true);
        if (caller.Device is { } device)
        {
            return Sender(caller, device);
        }

        string? named = context.RequestHeaders.GetValue(DeviceHeader);
        if (named is null || !DeviceIdentity.IsValidDevice(named))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, named is null
                ? $"a partner's Stream carries one device's batches: name the device in the request header '{DeviceHeader}' (or send with Upload)"
                : $"request header '{DeviceHeader}' value '{named}' is not a device id (1..64 characters of [A-Za-z0-9._-])"));
        }

        return Sender(caller, new DeviceIdentity(caller.Tenant, named));
    }

    /// <summary>A partner's batch is for the device it names, in the token's tenant; one sender per device per call.</summary>
    private AuthenticatedDevice PartnerSender(Caller caller, byte[] payload, List<AuthenticatedDevice> senders, int index)
    {
        if (!BatchView.TryRead(payload, out var batch, out string? problem))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"batches[{index}]: {problem}; nothing was written"));
        }

        foreach (var known in senders)
        {
            if (batch.DeviceId.SequenceEqual(known.DeviceUtf8))
            {
                return known;
            }
        }

        string device = System.Text.Encoding.UTF8.GetString(batch.DeviceId);
        if (!DeviceIdentity.IsValidDevice(device))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"batches[{index}].device_id '{device}' is not a device id (1..64 characters of [A-Za-z0-9._-]); nothing was written"));
        }

        var sender = Sender(caller, new DeviceIdentity(caller.Tenant, device));
        senders.Add(sender);
        return sender;
    }

    private AuthenticatedDevice Sender(Caller caller, DeviceIdentity device) =>
        new(device, _options.TopicMode == TelemetryTopicMode.Shared ? $"{device.Tenant}/{device.Device}" : null)
        {
            Certificate = caller.Certificate,
            Partner = caller.Partner,
            Remote = caller.Remote,
        };

    private Status Refuse(AuthenticatedDevice device, ulong sequence, BatchVerdict verdict)
    {
        _metrics.Refused(device.Tenant, verdict.Status, verdict.Reason);
        if (verdict.AccessReason is { } reason)
        {
            _audit.Record(verdict.Status, reason, verdict.Problem!, device);
        }

        CollectorLog.BatchRefused(_logger, device.Tenant, device.Device, sequence, verdict.Status, verdict.Problem!);
        return new Status(verdict.Status, verdict.Problem!);
    }

    /// <summary>The raw bytes of each UploadRequest.batches entry, as sent (no re-encoding).</summary>
    private static List<byte[]> SplitUpload(byte[] request)
    {
        var batches = new List<byte[]>();
        try
        {
            var input = new CodedInputStream(request);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (tag == 10) // field 1, length-delimited
                {
                    batches.Add(input.ReadBytes().ToByteArray());
                }
                else
                {
                    input.SkipLastField();
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the message is not a valid convoy.telemetry.v1.UploadRequest: {e.Message}"));
        }

        return batches;
    }

    /// <summary>The outcomes of one upload's writes, token = the write's index; completes when all are known.</summary>
    private sealed class UploadDeliveries : Convoy.Kafka.Native.IDeliveryHandler
    {
        private readonly Confluent.Kafka.ErrorCode[] _outcomes;
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public UploadDeliveries(int writes)
        {
            _outcomes = new Confluent.Kafka.ErrorCode[writes];
            _remaining = writes;
            if (writes == 0)
            {
                _all.SetResult();
            }
        }

        public Task All => _all.Task;

        public Confluent.Kafka.ErrorCode Outcome(int write) => _outcomes[write];

        public void OnDelivery(long token, Confluent.Kafka.ErrorCode outcome)
        {
            _outcomes[token] = outcome;
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _all.SetResult();
            }
        }
    }
}
