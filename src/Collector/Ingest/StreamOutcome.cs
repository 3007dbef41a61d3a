using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>Why a device stream stopped reading.</summary>
internal enum StreamEnd
{
    /// <summary>The device half-closed the stream after its last batch: OK.</summary>
    Completed,

    /// <summary>The device went away (cancelled, reset, deadline, lost connection): nobody is left to tell anything.</summary>
    DeviceGone,

    /// <summary>A batch was refused (validation, sequence, quota, Kafka's local queue): the refusal's own status.</summary>
    Refused,

    /// <summary>Kafka finally refused a write of the stream: UNAVAILABLE, send the rest again.</summary>
    KafkaFailed,

    /// <summary>The device's certificate was revoked during the stream: PERMISSION_DENIED.</summary>
    CertificateRevoked,

    /// <summary>The collector is shutting down: UNAVAILABLE, reconnect (to another collector).</summary>
    CollectorStopping,

    /// <summary>The partner's token expired during the stream: UNAUTHENTICATED.</summary>
    TokenExpired,

    /// <summary>A newer stream of the same device took over: ABORTED.</summary>
    Replaced,
}

/// <summary>
/// How a device stream ended, decided once (<see cref="StreamStops"/>: the first cause wins), and
/// the one place that turns it into the call's gRPC status. Every status but OK tells the device
/// how far its batches are safe, so it knows what to send again.
/// </summary>
internal readonly record struct StreamOutcome(StreamEnd End, Status Refusal = default, TimeSpan RetryAfter = default)
{
    /// <summary>
    /// The status the call ends with; null when it ends OK or nobody is left to tell.
    /// <paramref name="acked"/> is the stream's final acknowledgement, <paramref name="kafkaFailure"/>
    /// what Kafka refused, <paramref name="replacedBy"/> where the stream that took over comes from.
    /// </summary>
    public Status? ToStatus(string device, ulong acked, string? kafkaFailure, string? replacedBy) => End switch
    {
        StreamEnd.Completed or StreamEnd.DeviceGone => null,
        StreamEnd.Refused => Refusal,
        StreamEnd.KafkaFailed => new Status(StatusCode.Unavailable,
            $"Kafka did not confirm {kafkaFailure}. Everything up to sequence {acked} is safe; send the rest again."),
        StreamEnd.CertificateRevoked => new Status(StatusCode.PermissionDenied,
            $"this device's certificate has been revoked; everything up to sequence {acked} is safe. Install a new certificate."),
        StreamEnd.CollectorStopping => new Status(StatusCode.Unavailable,
            $"the collector is shutting down; everything up to sequence {acked} is safe. Reconnect (to another collector) and send the rest."),
        StreamEnd.TokenExpired => new Status(StatusCode.Unauthenticated,
            $"the partner token expired; everything up to sequence {acked} is safe. Reconnect with a fresh token and send the rest."),
        StreamEnd.Replaced => new Status(StatusCode.Aborted,
            $"a newer stream of device {device} (from {replacedBy}) replaced this one; everything up to sequence {acked} is safe. " +
            "A device keeps one stream open: if two agents share this certificate, give each its own."),
        _ => throw new InvalidOperationException($"{End} is not a stream end"),
    };
}

/// <summary>
/// Everything that stops a stream's reading, as one token, remembering which came first: the
/// device going away, a refused batch, Kafka refusing a write, the collector stopping, the
/// certificate revoked, the partner token expired, a newer stream of the device. The registrations
/// are made once per stream, not per batch.
/// </summary>
internal sealed class StreamStops : IDisposable
{
    private const int Running = -1;
    private readonly CancellationTokenSource _reading = new();
    private readonly List<CancellationTokenRegistration> _registrations = new(6);
    private int _end = Running;
    private Status _refusal;
    private TimeSpan _retryAfter;

    /// <summary>Cancelled when the stream must stop reading, for whatever reason.</summary>
    public CancellationToken Token => _reading.Token;

    /// <summary>Whether some cause stopped the stream (so a cancelled read is expected, not an error).</summary>
    public bool Stopped => Volatile.Read(ref _end) != Running;

    /// <summary>Stops the stream with <paramref name="end"/> when <paramref name="token"/> is cancelled (at once if it already is).</summary>
    public void StopOn(StreamEnd end, CancellationToken token) =>
        _registrations.Add(token.Register(static state =>
        {
            var (stops, end) = ((StreamStops, StreamEnd))state!;
            stops.Stop(end);
        }, (this, end)));

    /// <summary>Stops the stream because a batch was refused, with the refusal's status and retry delay.</summary>
    public void Refuse(Status status, TimeSpan retryAfter)
    {
        if (Interlocked.CompareExchange(ref _end, (int)StreamEnd.Refused, Running) == Running)
        {
            _refusal = status;
            _retryAfter = retryAfter;
            _reading.Cancel();
        }
    }

    /// <summary>Stops the stream for <paramref name="end"/>, unless another cause came first.</summary>
    public void Stop(StreamEnd end)
    {
        if (Interlocked.CompareExchange(ref _end, (int)end, Running) == Running)
        {
            _reading.Cancel();
        }
    }

    /// <summary>
    /// How the stream ended: the first cause, except that a device that is gone trumps everything
    /// (nobody reads the status), and no cause at all means the device completed the stream.
    /// </summary>
    public StreamOutcome Outcome(bool deviceGone)
    {
        int end = Volatile.Read(ref _end);
        if (deviceGone)
        {
            return new StreamOutcome(StreamEnd.DeviceGone);
        }

        return end == Running ? new StreamOutcome(StreamEnd.Completed) : new StreamOutcome((StreamEnd)end, _refusal, _retryAfter);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _reading.Dispose();
    }
}
