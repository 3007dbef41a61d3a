using System.Buffers;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>
/// The door every batch goes through on its way into a device's buffer: the collector's own
/// content check (<see cref="BatchCheck"/>, one implementation shared with it), run against the
/// gateway's clock with the collector's bounds (<see cref="EdgeAgentOptions.MaxClockSkew"/>,
/// <see cref="EdgeAgentOptions.MaxBatchAge"/>). The inputs drop or repair bad readings themselves
/// (NaN fields, implausible speeds, a GPS week rollover), so a refusal here is an input's bug or a
/// clock far off: the batch is not buffered (it takes no sequence, so nothing behind it waits for
/// it), it is counted by reason (<c>convoy.edge.batches.refused</c>) and logged with the check's
/// message. A batch the collector would refuse never enters the send path, where it would stall
/// every batch behind it.
/// </summary>
internal sealed class BatchAdmission
{
    private readonly BatchCheck _check;
    private readonly TimeProvider _time;
    private readonly EdgeAgentMetrics _metrics;
    private readonly ILogger _logger;

    public BatchAdmission(IOptions<EdgeAgentOptions> options, TimeProvider time, EdgeAgentMetrics metrics, ILogger<BatchAdmission> logger)
    {
        _check = new BatchCheck(options.Value.MaxClockSkew, options.Value.MaxBatchAge, "the gateway's clock");
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Batches refused so far.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>
    /// Appends <paramref name="batch"/> to <paramref name="buffer"/> if the collector would take its
    /// content; returns its sequence, or 0 when it was refused (counted and logged).
    /// </summary>
    public ulong Append(IBatchBuffer buffer, string tenant, TelemetryBatch batch, int readings, bool excursion = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int length = batch.CalculateSize();
        byte[] encoded = ArrayPool<byte>.Shared.Rent(length);
        BatchCheckResult verdict;
        try
        {
            batch.WriteTo(encoded.AsSpan(0, length));
            verdict = _check.Check(encoded.AsSpan(0, length), _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }

        if (!verdict.IsValid)
        {
            Interlocked.Increment(ref _refused);
            _metrics.BatchRefused(tenant, verdict.Reason!);
            EdgeAgentLog.BatchRefused(_logger, buffer.Device, readings, verdict.Reason!, verdict.Problem!);
            return 0;
        }

        return buffer.Append(batch, readings, excursion);
    }
}
