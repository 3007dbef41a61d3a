using System.Globalization;
using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Collector.Tenancy;
using Convoy.Collector.Validation;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Grpc.Core;
using Metadata = Grpc.Core.Metadata;

namespace Convoy.Collector.Ingest;

/// <summary>
/// convoy.telemetry.v1.Ingest: authenticate the caller (a device by its certificate, or a partner
/// by its token), validate each batch, write it to the tenant's topic, and acknowledge only what
/// Kafka confirmed. Stream is here; Upload is <see cref="UploadHandler"/>; what both share is
/// <see cref="Intake"/>.
/// </summary>
internal sealed class IngestService
{
    public const string WindowHeader = "convoy-window";

    /// <summary>Request header naming the device of a partner's Stream (one stream is one device's ordered batches).</summary>
    public const string DeviceHeader = "convoy-device";

    private readonly Intake _intake;
    private readonly UploadHandler _upload;
    private readonly CertificateWatcher _certificates;
    private readonly CallerAuthenticator _callers;
    private readonly SequenceLedgers _ledgers;
    private readonly ActiveStreams _active;
    private readonly CancellationToken _stopping;

    public IngestService(Intake intake, UploadHandler upload, CertificateWatcher certificates, CallerAuthenticator callers, SequenceLedgers ledgers,
        ActiveStreams active, IHostApplicationLifetime lifetime)
    {
        _intake = intake;
        _upload = upload;
        _certificates = certificates;
        _callers = callers;
        _ledgers = ledgers;
        _active = active;
        _stopping = lifetime.ApplicationStopping;
    }

    public Task<UploadResponse> UploadAsync(byte[] request, ServerCallContext context) => _upload.UploadAsync(request, context);

    public async Task StreamAsync(IAsyncStreamReader<ReceivedBatch> requests, IServerStreamWriter<IngestAck> responses, ServerCallContext context)
    {
        var device = await AuthenticateStreamAsync(context);
        var gate = _intake.Admit(device);
        using var streamSlot = gate.OpenStream();
        if (streamSlot is null)
        {
            string reason = $"tenant {device.Tenant} already has its maximum of {gate.Quota.MaxStreams} streams open";
            _intake.Metrics.Refused(device.Tenant, StatusCode.ResourceExhausted, RefusalReasons.TooManyStreams);
            CollectorLog.TenantRefused(_intake.Logger, device.Tenant, device.Device, StatusCode.ResourceExhausted, reason);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, reason), Intake.RetryAfter(TimeSpan.FromSeconds(5)));
        }

        // One active stream per device and sender: this one takes over once the old one's writes are
        // answered. (That the batches the device sends again are not written twice, but acknowledged
        // as replays, is the device's ledger's doing, whatever the timing.)
        var space = SequenceSpace.Of(device);
        var claim = _active.Replace(space, context.Peer, out var replaced);
        DeviceStream? stream = null;
        try
        {
            if (replaced is not null)
            {
                _intake.Metrics.StreamReplaced(device.Tenant);
                CollectorLog.StreamReplaced(_intake.Logger, device.Tenant, device.Device, replaced.Peer, context.Peer);
                await replaced.WhenDrained.WaitAsync(context.CancellationToken);
            }

            stream = new DeviceStream(device.Identity, _intake.Window, _ledgers.For(space), _intake.Metrics);
            var outcome = await StreamBatchesAsync(device, gate, stream, claim, requests, responses, context);
            if (Ending(outcome, device, stream, claim, context) is { } ending)
            {
                throw ending;
            }
        }
        finally
        {
            if (stream is not null)
            {
                // A device that vanished leaves writes in flight: the device's next stream waits for their answers.
                await stream.DrainAsync(CancellationToken.None);
            }

            _active.Release(space, claim);
        }
    }

    /// <summary>Reads and writes the stream's batches until something stops it; returns how it ended, once every ack that is due went out.</summary>
    private async Task<StreamOutcome> StreamBatchesAsync(AuthenticatedDevice device, TenantGate gate, DeviceStream stream, ActiveStreams.Claim claim,
        IAsyncStreamReader<ReceivedBatch> requests, IServerStreamWriter<IngestAck> responses, ServerCallContext context)
    {
        string topic = await _intake.TopicAsync(device, context.CancellationToken);
        await context.WriteResponseHeadersAsync(new Metadata { { WindowHeader, _intake.Window.ToString(CultureInfo.InvariantCulture) } });

        CollectorLog.StreamOpened(_intake.Logger, device.Tenant, device.Device, context.Peer, stream.Ledger.Acked);
        _intake.Metrics.StreamOpened(device.Tenant);
        using var revoked = new CancellationTokenSource();
        using var following = device.Certificate is { } certificate ? _certificates.Follow(certificate, revoked) : null;
        // A partner's stream ends when its token does: a token is checked at the start of a call only.
        using var expired = device.Partner is { } partner ? new CancellationTokenSource(Until(partner.ExpiresAt), _intake.Time) : new CancellationTokenSource();
        using var stops = new StreamStops();
        stops.StopOn(StreamEnd.DeviceGone, context.CancellationToken);
        stops.StopOn(StreamEnd.KafkaFailed, stream.Failed);
        stops.StopOn(StreamEnd.CollectorStopping, _stopping);
        stops.StopOn(StreamEnd.CertificateRevoked, revoked.Token);
        stops.StopOn(StreamEnd.Replaced, claim.Replaced);
        stops.StopOn(StreamEnd.TokenExpired, expired.Token);
        var acking = stream.WriteAcksAsync(responses, (uint)_intake.Window, context.CancellationToken);
        bool abandoned = false;
        try
        {
            while (await requests.MoveNext(stops.Token))
            {
                var received = requests.Current;
                try
                {
                    if (await AcceptAsync(received, device, gate, stream, topic, stops.Token) is { } refused)
                    {
                        stops.Refuse(refused.Status, refused.RetryAfter);
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
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && !context.CancellationToken.IsCancellationRequested)
        {
            // gRPC's own reader refused a message over Collector:MaxBatchBytes, in words that name
            // no limit. No retry can pass: refuse for good, naming it, and let earlier batches land.
            stops.Refuse(_intake.Refuse(device, stream.Acked + 1, RequestLimits.BatchTooLarge(_intake.MaxBatchBytes)), TimeSpan.Zero);
            await stream.DrainAsync(context.CancellationToken);
        }
        catch (OperationCanceledException) when (stops.Stopped && !context.CancellationToken.IsCancellationRequested)
        {
            // Stop reading, but let what is in flight land and be acknowledged.
            await stream.DrainAsync(context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The device cancelled the call (or its deadline passed): what it wrote still lands (StreamAsync waits for it).
        }
        catch (IOException e)
        {
            // The device went away mid-stream (reset the stream, lost the connection): nobody is
            // left to tell anything. What it wrote still lands (StreamAsync waits for it), and it
            // sends the rest again when it reconnects.
            CollectorLog.StreamAbandoned(_intake.Logger, device.Tenant, device.Device, context.Peer, stream.Acked, e.Message);
            abandoned = true;
        }
        finally
        {
            stream.CompleteAcks();
            _intake.Metrics.StreamClosed(device.Tenant);
            CollectorLog.StreamClosed(_intake.Logger, device.Tenant, device.Device, stream.Acked);
        }

        bool deviceGone = abandoned || context.CancellationToken.IsCancellationRequested;
        try
        {
            await acking;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException && deviceGone)
        {
            // The acks had nowhere to go.
        }

        return stops.Outcome(deviceGone);
    }

    /// <summary>What the stream's end means besides its status (logs, audit, closing the connection), and the exception that ends the call; null for OK.</summary>
    private RpcException? Ending(StreamOutcome outcome, AuthenticatedDevice device, DeviceStream stream, ActiveStreams.Claim claim, ServerCallContext context)
    {
        switch (outcome.End)
        {
            case StreamEnd.KafkaFailed:
                CollectorLog.KafkaWriteFailed(_intake.Logger, device.Tenant, device.Device, stream.Acked + 1, stream.Failure ?? "a write");
                break;
            case StreamEnd.CertificateRevoked:
                CallerAuthenticator.CloseConnection(context);
                _intake.Audit.Record(StatusCode.PermissionDenied, RefusalReasons.RevokedCertificate, "certificate revoked during the stream", device);
                break;
            case StreamEnd.TokenExpired:
                _intake.Audit.Record(StatusCode.Unauthenticated, "token-expired", "the partner token expired during the stream", device);
                break;
        }

        return outcome.ToStatus(device.Device, stream.Acked, stream.Failure, claim.ReplacedBy) is { } status
            ? new RpcException(status, outcome.End == StreamEnd.Refused ? Intake.RetryAfter(outcome.RetryAfter) : [])
            : null;
    }

    /// <summary>
    /// Validates one batch of a stream and writes it, unless it is a replay. Null when it was
    /// written or acknowledged again; otherwise the refusal that ends the stream. Over a quota it
    /// first waits, which stops reading the stream (HTTP/2 flow control holds the device back).
    /// </summary>
    private async ValueTask<(Status Status, TimeSpan RetryAfter)?> AcceptAsync(ReceivedBatch received, AuthenticatedDevice device, TenantGate gate, DeviceStream stream,
        string topic, CancellationToken reading)
    {
        using var trace = BatchTrace.Start(received.Bytes, device, "Stream", _intake.RootSampling);
        long nowMs = _intake.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var verdict = _intake.Validator.Validate(received.Bytes, device, nowMs, out ulong sequence);
        if (!verdict.IsValid)
        {
            BatchTrace.Outcome(trace, sequence, "refused", verdict.Reason);
            return (_intake.Refuse(device, sequence, verdict), TimeSpan.Zero);
        }

        switch (stream.Check(sequence))
        {
            case SequenceCheck.Replay:
                // Kafka has it: acknowledged in its turn, after what this stream has in flight before it.
                await stream.WaitForWindowAsync(reading);
                stream.Replayed(sequence);
                BatchTrace.Outcome(trace, sequence, "replay");
                return null;
            case SequenceCheck.Backwards:
                BatchTrace.Outcome(trace, sequence, "refused", RefusalReasons.SequenceBackwards);
                return (_intake.Refuse(device, sequence, BatchVerdict.Invalid(RefusalReasons.SequenceBackwards,
                    $"sequence {sequence} does not follow {stream.LastReceived}, the last this stream sent; a stream's sequences must increase " +
                    "(send unacknowledged batches again in order, on a new stream)")), TimeSpan.Zero);
        }

        if (await gate.AdmitAsync(verdict.Readings, received.Length, reading) is { } over)
        {
            BatchTrace.Outcome(trace, sequence, "refused", over.Reason);
            return (_intake.OverQuota(device, sequence, over), over.RetryAfter);
        }

        // The tenant's allowance of bytes in flight to Kafka, then a slot in this stream's window.
        var inFlight = await gate.HoldInFlightAsync(received.Length, reading);
        if (inFlight is null)
        {
            var refusal = gate.InFlightRefusal();
            BatchTrace.Outcome(trace, sequence, "refused", refusal.Reason);
            return (_intake.OverQuota(device, sequence, refusal), refusal.RetryAfter);
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

        if (stream.Accept(sequence, verdict.Readings, received.Length, inFlight) != BatchClaim.Write)
        {
            BatchTrace.Outcome(trace, sequence, "replay");
            return null; // another call of the device is writing it (or just did): acknowledged when that write is
        }

        var queued = _intake.Producer.Produce(topic, device, sequence, received.Bytes, nowMs, stream.Ledger, (long)sequence, trace);
        if (queued != ErrorCode.NoError)
        {
            // Refused locally (queue full, producer closing): nothing was written.
            stream.Withdraw(sequence, queued);
            _intake.Metrics.Refused(device.Tenant, StatusCode.Unavailable, RefusalReasons.KafkaQueueFull);
            BatchTrace.Outcome(trace, sequence, "refused", RefusalReasons.KafkaQueueFull);
            return (new Status(StatusCode.Unavailable, $"Kafka cannot take batch {sequence} now ({queued.GetReason()}); send it again"), TimeSpan.Zero);
        }

        BatchTrace.Outcome(trace, sequence, "written");
        return null;
    }

    /// <summary>How long until <paramref name="expiresAt"/>, at least a millisecond (an already-expired token ends the stream at once).</summary>
    private TimeSpan Until(DateTimeOffset expiresAt)
    {
        var left = expiresAt - _intake.Time.GetUtcNow();
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>
    /// The device a stream is for: the certificate's device, or for a partner (role ingest) the
    /// device its <see cref="DeviceHeader"/> header names, in the token's tenant.
    /// </summary>
    private async ValueTask<AuthenticatedDevice> AuthenticateStreamAsync(ServerCallContext context)
    {
        var caller = await _callers.AuthenticateAsync(context, PartnerRoles.Ingest, devicesMay: true);
        if (caller.Device is { } device)
        {
            return _intake.Sender(caller, device);
        }

        string? named = context.RequestHeaders.GetValue(DeviceHeader);
        if (named is null || !DeviceIdentity.IsValidDevice(named))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, named is null
                ? $"a partner's Stream carries one device's batches: name the device in the request header '{DeviceHeader}' (or send with Upload)"
                : $"request header '{DeviceHeader}' value '{named}' is not a device id (1..64 characters of [A-Za-z0-9._-])"));
        }

        return _intake.Sender(caller, new DeviceIdentity(caller.Tenant, named));
    }
}
