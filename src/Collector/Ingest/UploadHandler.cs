using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Collector.Validation;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Native;
using Convoy.Pki;
using Google.Protobuf;
using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>
/// convoy.telemetry.v1.Ingest/Upload: many batches in one call, all or nothing. Every batch is
/// validated, and each device's sequences must strictly increase within the call, before any is
/// written; the call is answered when Kafka confirmed every write, with one ack per device.
/// </summary>
internal sealed class UploadHandler
{
    private const int MaxUploadBatches = 1000;
    private readonly Intake _intake;
    private readonly CallerAuthenticator _callers;
    private readonly SequenceLedgers _ledgers;

    public UploadHandler(Intake intake, CallerAuthenticator callers, SequenceLedgers ledgers)
    {
        _intake = intake;
        _callers = callers;
        _ledgers = ledgers;
    }

    public async Task<UploadResponse> UploadAsync(byte[] request, ServerCallContext context)
    {
        var caller = await _callers.AuthenticateAsync(context, PartnerRoles.Ingest, devicesMay: true);
        // A device sends only its own batches; a partner sends for any device of its token's
        // tenant, each batch for the device it names.
        var own = caller.Device is { } identity ? _intake.Sender(caller, identity) : null;
        var gate = own is null ? null : _intake.Admit(own);
        var payloads = SplitUpload(request);
        if (payloads.Count is 0 or > MaxUploadBatches)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"batches must hold 1..{MaxUploadBatches} batches, held {payloads.Count}"));
        }

        // All or nothing: validate every batch before writing any.
        long nowMs = _intake.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var batches = new List<(AuthenticatedDevice Sender, ulong Sequence, byte[] Payload, int Readings)>(payloads.Count);
        var senders = new List<AuthenticatedDevice>();
        var last = new Dictionary<AuthenticatedDevice, int>(); // each device's latest batch so far in the request
        foreach (byte[] payload in payloads)
        {
            var sender = own ?? PartnerSender(caller, payload, senders, batches.Count);
            var verdict = _intake.Validator.Validate(payload, sender, nowMs, out ulong sequence);
            if (verdict.IsValid && last.TryGetValue(sender, out int previous) && sequence <= batches[previous].Sequence)
            {
                verdict = OutOfOrder(sender, batches.Count, sequence, previous, batches[previous].Sequence);
            }

            if (!verdict.IsValid)
            {
                var status = _intake.Refuse(sender, sequence, verdict);
                throw new RpcException(new Status(status.StatusCode, $"batches[{batches.Count}]: {status.Detail}; nothing was written"));
            }

            last[sender] = batches.Count;
            batches.Add((sender, sequence, payload, verdict.Readings));
        }

        gate ??= _intake.Admit(batches[0].Sender);
        foreach (var (sender, sequence, payload, count) in batches)
        {
            if (await gate.AdmitAsync(count, payload.Length, context.CancellationToken) is { } over)
            {
                var status = _intake.OverQuota(sender, sequence, over);
                throw new RpcException(new Status(status.StatusCode, status.Detail + "; nothing was written"), Intake.RetryAfter(over.RetryAfter));
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
            var refusal = gate.InFlightRefusal();
            var status = _intake.OverQuota(batches[0].Sender, batches[0].Sequence, refusal);
            throw new RpcException(new Status(status.StatusCode, status.Detail + "; nothing was written"), Intake.RetryAfter(refusal.RetryAfter));
        }

        string topic = await _intake.TopicAsync(batches[0].Sender, context.CancellationToken);
        if (own is not null)
        {
            senders.Add(own);
        }

        // Each batch is claimed in its device's ledger: written by this call, or by another call
        // carrying it at the same time (this one waits for that write), or already in Kafka.
        var ledgers = new Dictionary<AuthenticatedDevice, SequenceLedger>(senders.Count);
        foreach (var sender in senders)
        {
            ledgers[sender] = _ledgers.For(SequenceSpace.Of(sender));
        }

        var deliveries = new UploadDeliveries(batches.Count);
        var wrote = new bool[batches.Count];
        for (int i = 0; i < batches.Count; i++)
        {
            var (sender, sequence, payload, _) = batches[i];
            var ledger = ledgers[sender];
            // Each batch of the upload is its own trace, as its sender's traceparent says (a refused
            // upload writes nothing and has no batch spans).
            using var trace = BatchTrace.Start(payload, sender, "Upload", _intake.RootSampling);
            switch (ledger.Claim(sequence, deliveries, i))
            {
                case BatchClaim.Written:
                    deliveries.OnDelivery(i, ErrorCode.NoError); // a replay of what Kafka has: acknowledged again, not written again
                    BatchTrace.Outcome(trace, sequence, "replay");
                    break;
                case BatchClaim.Write:
                    wrote[i] = true;
                    var queued = _intake.Producer.Produce(topic, sender, sequence, payload, nowMs, ledger, (long)sequence, trace);
                    if (queued != ErrorCode.NoError)
                    {
                        ledger.Abandon(sequence, queued);
                        deliveries.OnDelivery(i, queued);
                        BatchTrace.Outcome(trace, sequence, "refused", RefusalReasons.KafkaQueueFull);
                    }
                    else
                    {
                        BatchTrace.Outcome(trace, sequence, "written");
                    }

                    break;
                default:
                    BatchTrace.Outcome(trace, sequence, "replay"); // another call carries it: acknowledged when that write is
                    break;
            }
        }

        await deliveries.All;
        int confirmed = 0;
        long readings = 0;
        string? failure = null;
        for (int i = 0; i < batches.Count; i++)
        {
            var (sender, sequence, _, count) = batches[i];
            if (deliveries.Outcome(i) is var outcome && outcome != ErrorCode.NoError)
            {
                failure ??= $"batch {sequence} of {sender.Device}: {outcome.GetReason()}";
            }
            else if (wrote[i])
            {
                confirmed++;
                readings += count;
            }
        }

        _intake.Metrics.Acknowledged(caller.Tenant, confirmed, readings);
        if (failure is not null)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Kafka did not confirm {failure}; send the upload again"));
        }

        // Each device's ack names the highest sequence of this request: every batch of the request
        // is in Kafka, and an ack never names a sequence its receiver did not send.
        var response = new UploadResponse();
        foreach (var sender in senders)
        {
            response.Acks.Add(new IngestAck { DeviceId = sender.Device, AckedSequence = batches[last[sender]].Sequence, Window = (uint)_intake.Window });
        }

        return response;
    }

    /// <summary>
    /// Within one upload a device's sequences must strictly increase, as on a stream: a repeated or
    /// earlier sequence is either the same batch twice or two batches claiming one sequence, and the
    /// collector cannot tell which of them the sender means to be in Kafka.
    /// </summary>
    private static BatchVerdict OutOfOrder(AuthenticatedDevice sender, int index, ulong sequence, int previousIndex, ulong previousSequence) =>
        BatchVerdict.Invalid(RefusalReasons.UploadSequenceOrder, sequence == previousSequence
            ? $"sequence {sequence} of device {sender.Device} appears twice in the upload (batches[{previousIndex}] and batches[{index}]); " +
              "within one upload each device's sequences must strictly increase: send every batch once, each with its own sequence"
            : $"sequence {sequence} of device {sender.Device} does not follow sequence {previousSequence} (batches[{previousIndex}]); " +
              "within one upload each device's sequences must strictly increase: put the device's batches in sequence order");

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

        var sender = _intake.Sender(caller, new DeviceIdentity(caller.Tenant, device));
        senders.Add(sender);
        return sender;
    }

    /// <summary>The raw bytes of each UploadRequest.batches entry, as sent (no re-encoding).</summary>
    private static List<byte[]> SplitUpload(byte[] request)
    {
        var batches = new List<byte[]>();
        var input = new CodedInputStream(request);
        try
        {
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
        catch (InvalidProtocolBufferException)
        {
            // The library's own text names its internals ("SkipLastField called on an end-group
            // tag..."); the sender needs where its bytes stop being an UploadRequest.
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"the message is not a valid convoy.telemetry.v1.UploadRequest: its protobuf encoding breaks at byte {input.Position} of {request.Length} " +
                "(cut short, a field with a wrong wire type or length, or bytes that are not protobuf); encode it with the generated UploadRequest type"));
        }

        return batches;
    }

    /// <summary>The outcomes of one upload's batches, token = the batch's index (told by the ledgers); completes when all are known.</summary>
    private sealed class UploadDeliveries : IRecordDeliveryHandler
    {
        private readonly Confluent.Kafka.ErrorCode[] _outcomes;
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public UploadDeliveries(int batches)
        {
            _outcomes = new Confluent.Kafka.ErrorCode[batches];
            _remaining = batches;
            if (batches == 0)
            {
                _all.SetResult();
            }
        }

        public Task All => _all.Task;

        public Confluent.Kafka.ErrorCode Outcome(int batch) => _outcomes[batch];

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
