namespace Convoy.Contracts.Telemetry;

/// <summary>
/// The content rules of telemetry.proto, applied to a batch read in place: when it was taken
/// (its base time within the allowed clock skew ahead of now and the maximum age behind it, and
/// every reading's own time no further ahead), then every column set (BatchCheck.Columns.cs):
/// equal lengths, offsets that never go backwards, finite values in range, window summaries.
/// <para>
/// One implementation on both sides of the uplink: the collector refuses a batch that fails it
/// (INVALID_ARGUMENT), and the edge agent runs it on every batch before the batch enters its
/// buffer, so the agent never keeps a batch the collector would refuse for its content. Who sent
/// the batch (tenant, device, sequence) is the collector's own check, not this one.
/// </para>
/// The valid path allocates nothing (every check returns a struct); only a refusal builds its
/// message. Thread-safe and AOT-safe (no reflection).
/// </summary>
public sealed partial class BatchCheck
{
    /// <summary>How far ahead of the checker's clock a batch may be, unless configured: a device clock a little fast.</summary>
    public static readonly TimeSpan DefaultMaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>How old a batch may be, unless configured: a truck may come back online after weeks.</summary>
    public static readonly TimeSpan DefaultMaxBatchAge = TimeSpan.FromDays(30);

    private readonly long _maxSkewMs;
    private readonly long _maxAgeMs;
    private readonly string _clock;

    /// <param name="maxClockSkew">How far ahead of now a reading may be.</param>
    /// <param name="maxBatchAge">How far behind now a batch's base time may be.</param>
    /// <param name="clock">Whose clock "now" is, for messages: "the collector's clock", "the gateway's clock".</param>
    public BatchCheck(TimeSpan maxClockSkew, TimeSpan maxBatchAge, string clock)
    {
        _clock = clock;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxClockSkew, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxBatchAge, TimeSpan.Zero);
        _maxSkewMs = (long)maxClockSkew.TotalMilliseconds;
        _maxAgeMs = (long)maxBatchAge.TotalMilliseconds;
    }

    /// <summary>
    /// A heading in degrees as the wire carries it, in [0, 360): a bearing of 359.99999999 rounds
    /// to 360 as a float, which is north and is written 0.
    /// </summary>
    public static float WireHeading(double degrees)
    {
        float heading = (float)(degrees % 360);
        heading = heading < 0 ? heading + 360f : heading;
        return heading >= 360f ? 0f : heading;
    }

    /// <summary>Checks the batch's times and columns against <paramref name="nowMs"/> (ms since the Unix epoch).</summary>
    public BatchCheckResult Check(in BatchView batch, long nowMs)
    {
        if (Time(batch, nowMs) is { } badTime)
        {
            return badTime;
        }

        return Columns(batch, new ReadingTimes(batch.BaseTimeUnixMs, nowMs, _maxSkewMs, _clock));
    }

    /// <summary>Reads and checks an encoded batch; a batch that cannot be read is <see cref="BatchProblems.Malformed"/>.</summary>
    public BatchCheckResult Check(ReadOnlySpan<byte> payload, long nowMs) =>
        BatchView.TryRead(payload, out var batch, out string? problem)
            ? Check(batch, nowMs)
            : BatchCheckResult.Invalid(BatchProblems.Malformed, problem!);

    /// <summary>When the batch was taken: its base time within the allowed clock skew of now (future) and the maximum age (past).</summary>
    private BatchCheckResult? Time(in BatchView batch, long nowMs)
    {
        if (batch.BaseTimeUnixMs > nowMs + _maxSkewMs)
        {
            return BatchCheckResult.Invalid(BatchProblems.ClockAhead, $"base_time_unix_ms {batch.BaseTimeUnixMs} is more than {TimeSpan.FromMilliseconds(_maxSkewMs)} in the future of {_clock}; check the device clock");
        }

        if (batch.BaseTimeUnixMs < nowMs - _maxAgeMs)
        {
            return BatchCheckResult.Invalid(BatchProblems.TooOld, $"base_time_unix_ms {batch.BaseTimeUnixMs} is older than {TimeSpan.FromMilliseconds(_maxAgeMs)}");
        }

        return null;
    }

    /// <summary>
    /// The first reading of a column whose own time (base_time_unix_ms + offset_ms) is more than the
    /// allowed clock skew ahead of now, or null. (Offsets never go backwards, which the caller
    /// checked first, so the last one decides; the index is searched for, and the column named, only
    /// on a refusal.) The base time being within the maximum age, and offsets never negative, no
    /// reading can be too old. One reading weeks ahead, behind a plausible base time, would push the
    /// alert engine's event time so far that the device's later readings were all too late and its
    /// alerts silent.
    /// </summary>
    private static BatchCheckResult? Ahead(string set, int index, ReadOnlySpan<uint> offsets, in ReadingTimes times)
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
        return BatchCheckResult.Invalid(BatchProblems.ReadingAhead,
            $"{Where(set, index)}.offset_ms[{bad}] is {offsets[bad]}: that reading's time, base_time_unix_ms + offset_ms = {at} ({DateTimeOffset.FromUnixTimeMilliseconds(at):u}), " +
            $"is more than {TimeSpan.FromMilliseconds(times.SkewMs)} ahead of {times.Clock} ({DateTimeOffset.FromUnixTimeMilliseconds(times.NowMs):u}); check the device clock");
    }

    /// <summary>What a reading's time is checked against: the batch's base time, now, and the allowed skew.</summary>
    private readonly record struct ReadingTimes(long BaseMs, long NowMs, long SkewMs, string Clock)
    {
        /// <summary>The latest a reading may be: now plus the allowed clock skew.</summary>
        public long LatestMs => NowMs + SkewMs;
    }
}

/// <summary>The outcome of <see cref="BatchCheck"/>: valid with its reading count, or a reason and a message naming the field.</summary>
/// <remarks><see cref="Reason"/> is one of <see cref="BatchProblems"/> (a short, stable label for metrics); <see cref="Problem"/> the message for a human.</remarks>
public readonly record struct BatchCheckResult(string? Reason, string? Problem, int Readings)
{
    public bool IsValid => Problem is null;

    public static BatchCheckResult Valid(int readings) => new(null, null, readings);

    public static BatchCheckResult Invalid(string reason, string problem) => new(reason, problem, 0);
}

/// <summary>Why <see cref="BatchCheck"/> refuses a batch: the collector's refusal reasons for content, and the agent's.</summary>
public static class BatchProblems
{
    public const string Malformed = "malformed";
    public const string Empty = "empty";
    public const string ClockAhead = "clock-ahead";
    public const string ReadingAhead = "reading-ahead";
    public const string TooOld = "too-old";
    public const string UnequalColumns = "unequal-columns";
    public const string TimeBackwards = "time-backwards";
    public const string NotFinite = "not-finite";
    public const string OutOfRange = "out-of-range";
    public const string BadWindow = "bad-window";
    public const string BadZone = "bad-zone";
    public const string DuplicateZone = "duplicate-zone";
    public const string UnknownSensorKind = "unknown-sensor-kind";
    public const string BadSensorName = "bad-sensor-name";

    /// <summary>Every reason, for metrics whose series exist at 0 from start-up.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Malformed, Empty, ClockAhead, ReadingAhead, TooOld, UnequalColumns, TimeBackwards, NotFinite, OutOfRange,
        BadWindow, BadZone, DuplicateZone, UnknownSensorKind, BadSensorName,
    ];
}
