using System.Text;
using Convoy.Collector.Authentication;
using Convoy.Contracts.Telemetry;

namespace Convoy.Collector.Validation;

/// <summary>
/// Checks a batch, read in place, against the contract in telemetry.proto and against who sent
/// it: first whose batch it is (<see cref="Identity"/>), then when it was taken (<see cref="Time"/>,
/// and every reading's own time: <see cref="Ahead"/>), then every column set (BatchValidator.Columns.cs). A batch is all or nothing: one bad reading
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
            return BatchVerdict.Invalid(RefusalReasons.Malformed, problem!);
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

        return Columns(batch, new ReadingTimes(batch.BaseTimeUnixMs, nowMs, _maxSkewMs));
    }

    /// <summary>Whose batch it is: the sender's tenant and device, and a sequence that can be one.</summary>
    private static BatchVerdict? Identity(in BatchView batch, AuthenticatedDevice sender)
    {
        if (!batch.TenantId.IsEmpty && !batch.TenantId.SequenceEqual(sender.TenantUtf8))
        {
            return BatchVerdict.Denied(sender.Partner is null
                ? $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this device's certificate ('{sender.Tenant}')"
                : $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this partner token ('tid' {sender.Tenant})", RefusalReasons.WrongTenant);
        }

        if (!batch.DeviceId.SequenceEqual(sender.DeviceUtf8))
        {
            return BatchVerdict.Denied(batch.DeviceId.IsEmpty
                ? "device_id is empty; it must name this device"
                : $"device_id '{Text(batch.DeviceId)}' is not the device of this certificate ('{sender.Device}')", RefusalReasons.WrongDevice);
        }

        if (batch.Sequence == 0)
        {
            return BatchVerdict.Invalid(RefusalReasons.SequenceZero, "sequence must start at 1");
        }

        return null;
    }

    /// <summary>When the batch was taken: its base time within the allowed clock skew of now (future) and the maximum age (past).</summary>
    private BatchVerdict? Time(in BatchView batch, long nowMs)
    {
        if (batch.BaseTimeUnixMs > nowMs + _maxSkewMs)
        {
            return BatchVerdict.Invalid(RefusalReasons.ClockAhead, $"base_time_unix_ms {batch.BaseTimeUnixMs} is more than {TimeSpan.FromMilliseconds(_maxSkewMs)} in the future; check the device clock");
        }

        if (batch.BaseTimeUnixMs < nowMs - _maxAgeMs)
        {
            return BatchVerdict.Invalid(RefusalReasons.TooOld, $"base_time_unix_ms {batch.BaseTimeUnixMs} is older than {TimeSpan.FromMilliseconds(_maxAgeMs)}");
        }

        return null;
    }

    /// <summary>
    /// The first reading of a column whose own time (base_time_unix_ms + offset_ms) is more than the
    /// allowed clock skew ahead of now, or null. (Offsets never go backwards, which the caller
    /// checked first, so the last one decides; the index is searched for, and the column named, only
    /// on a refusal: the valid path allocates nothing.) The base
    /// time being within the maximum age, and offsets never negative, no reading can be too old.
    /// Issue 12.3: one reading 49 days ahead, behind a plausible base time, pushed the alert engine's
    /// event time so far that the device's later readings were all too late, and its alerts silent.
    /// </summary>
    private static BatchVerdict? Ahead(string set, int index, ReadOnlySpan<uint> offsets, in ReadingTimes times)
    {
        if (offsets.IsEmpty || times.BaseMs + offsets[^1] <= times.LatestMs)
        {
            return null;
        }

        int bad = 0;
        while (times.BaseMs + offsets[bad] <= times.LatestMs)
        {
            bad++;
        }

        long at = times.BaseMs + offsets[bad];
        return BatchVerdict.Invalid(RefusalReasons.ReadingAhead,
            $"{Where(set, index)}.offset_ms[{bad}] is {offsets[bad]}: that reading's time, base_time_unix_ms + offset_ms = {at} ({DateTimeOffset.FromUnixTimeMilliseconds(at):u}), " +
            $"is more than {TimeSpan.FromMilliseconds(times.SkewMs)} ahead of the collector's clock ({DateTimeOffset.FromUnixTimeMilliseconds(times.NowMs):u}); check the device clock");
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    /// <summary>What a reading's time is checked against: the batch's base time, now, and the allowed skew.</summary>
    private readonly record struct ReadingTimes(long BaseMs, long NowMs, long SkewMs)
    {
        /// <summary>The latest a reading may be: now plus the allowed clock skew.</summary>
        public long LatestMs => NowMs + SkewMs;
    }
}
