using System.Text;
using Convoy.Collector.Authentication;
using Convoy.Contracts.Telemetry;

namespace Convoy.Collector.Validation;

/// <summary>
/// Checks a batch, read in place, against the contract in telemetry.proto and against who sent
/// it: first whose batch it is (<see cref="Identity"/>), then when it was taken (<see cref="Time"/>),
/// then every column set (BatchValidator.Columns.cs). A batch is all or nothing: one bad reading
/// refuses the whole batch, so nothing half-valid reaches Kafka. The valid path allocates nothing
/// (every check returns a struct); only a refusal builds its message.
/// </summary>
internal sealed partial class BatchValidator
{
    private readonly long _maxSkewMs;
    private readonly long _maxAgeMs;

    public BatchValidator(CollectorOptions options)
    {
        _maxSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        _maxAgeMs = (long)options.MaxBatchAge.TotalMilliseconds;
    }

    /// <summary>Reads and validates an encoded batch.</summary>
    public BatchVerdict Validate(ReadOnlySpan<byte> payload, AuthenticatedDevice sender, long nowMs, out ulong sequence)
    {
        sequence = 0;
        if (!BatchView.TryRead(payload, out var batch, out string? problem))
        {
            return BatchVerdict.Invalid("malformed", problem!);
        }

        sequence = batch.Sequence;
        return Validate(batch, sender, nowMs);
    }

    public BatchVerdict Validate(in BatchView batch, AuthenticatedDevice sender, long nowMs)
    {
        if (Identity(batch, sender) is { } notTheSenders)
        {
            return notTheSenders;
        }

        if (Time(batch, nowMs) is { } badTime)
        {
            return badTime;
        }

        return Columns(batch);
    }

    /// <summary>Whose batch it is: the sender's tenant and device, and a sequence that can be one.</summary>
    private static BatchVerdict? Identity(in BatchView batch, AuthenticatedDevice sender)
    {
        if (!batch.TenantId.IsEmpty && !batch.TenantId.SequenceEqual(sender.TenantUtf8))
        {
            return BatchVerdict.Denied(sender.Partner is null
                ? $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this device's certificate ('{sender.Tenant}')"
                : $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this partner token ('tid' {sender.Tenant})", "wrong-tenant");
        }

        if (!batch.DeviceId.SequenceEqual(sender.DeviceUtf8))
        {
            return BatchVerdict.Denied(batch.DeviceId.IsEmpty
                ? "device_id is empty; it must name this device"
                : $"device_id '{Text(batch.DeviceId)}' is not the device of this certificate ('{sender.Device}')", "wrong-device");
        }

        if (batch.Sequence == 0)
        {
            return BatchVerdict.Invalid("sequence-zero", "sequence must start at 1");
        }

        return null;
    }

    /// <summary>When the batch was taken: its base time within the allowed clock skew of now (future) and the maximum age (past).</summary>
    private BatchVerdict? Time(in BatchView batch, long nowMs)
    {
        if (batch.BaseTimeUnixMs > nowMs + _maxSkewMs)
        {
            return BatchVerdict.Invalid("clock-ahead", $"base_time_unix_ms {batch.BaseTimeUnixMs} is more than {TimeSpan.FromMilliseconds(_maxSkewMs)} in the future; check the device clock");
        }

        if (batch.BaseTimeUnixMs < nowMs - _maxAgeMs)
        {
            return BatchVerdict.Invalid("too-old", $"base_time_unix_ms {batch.BaseTimeUnixMs} is older than {TimeSpan.FromMilliseconds(_maxAgeMs)}");
        }

        return null;
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
