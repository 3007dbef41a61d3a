using System.Runtime.InteropServices;
using System.Text;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Convoy.Fuzz;

/// <summary>
/// The collector's in-place batch reader (<see cref="BatchView.TryRead"/>), which every batch a
/// device or partner sends goes through before anything else. Promises: a refusal says why; a
/// batch it reads can be walked whole (every column set and window); and it reads what the
/// contract's generated parser reads, because the collector writes the bytes to Kafka as they came
/// and a partner's consumer decodes them with protobuf: a batch one reads differently from the
/// other would pass the collector's checks as one batch and reach a consumer as another.
/// </summary>
internal sealed class BatchReaderTarget : IFuzzTarget
{
    public string Name => "batch-reader";

    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        if (!BatchView.TryRead(input, out var batch, out string? problem))
        {
            return string.IsNullOrWhiteSpace(problem)
                ? FuzzOutcome.Breaks("refused", "TryRead refused the batch without saying why")
                : new FuzzOutcome("refused", 0);
        }

        TelemetryBatch parsed;
        try
        {
            parsed = TelemetryBatch.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            return FuzzOutcome.Breaks("read", $"BatchView read a batch the generated parser refuses: {e.Message}");
        }

        return Disagreement(batch, parsed) is { } disagreement
            ? FuzzOutcome.Breaks("read", $"BatchView and the generated parser disagree: {disagreement}")
            : new FuzzOutcome("read", Readings(batch));
    }

    private static int Readings(in BatchView batch)
    {
        int readings = batch.HasGps ? batch.Gps.OffsetMs.Length : 0;
        readings += batch.HasFuel ? batch.Fuel.OffsetMs.Length : 0;
        foreach (var temperatures in batch.Temperatures)
        {
            readings += temperatures.OffsetMs.Length;
        }

        foreach (var scalars in batch.Scalars)
        {
            readings += scalars.OffsetMs.Length;
        }

        return readings;
    }

    private static string? Disagreement(in BatchView batch, TelemetryBatch parsed)
    {
        if (batch.Sequence != parsed.Sequence || batch.BaseTimeUnixMs != parsed.BaseTimeUnixMs)
        {
            return $"sequence {batch.Sequence} or base time {batch.BaseTimeUnixMs}, parsed {parsed.Sequence} and {parsed.BaseTimeUnixMs}";
        }

        if (!SameText(batch.TenantId, parsed.TenantId) || !SameText(batch.DeviceId, parsed.DeviceId))
        {
            return $"tenant or device '{Encoding.UTF8.GetString(batch.TenantId)}'/'{Encoding.UTF8.GetString(batch.DeviceId)}', parsed '{parsed.TenantId}'/'{parsed.DeviceId}'";
        }

        if (batch.HasGps != (parsed.Gps is not null) || batch.HasFuel != (parsed.Fuel is not null)
            || batch.TemperatureCount != parsed.Temperatures.Count || batch.ScalarCount != parsed.Scalars.Count)
        {
            return $"column sets gps {batch.HasGps}, fuel {batch.HasFuel}, {batch.TemperatureCount} temperatures, {batch.ScalarCount} scalars; " +
                   $"parsed {parsed.Gps is not null}, {parsed.Fuel is not null}, {parsed.Temperatures.Count}, {parsed.Scalars.Count}";
        }

        if (batch.HasGps && (!Same(batch.Gps.OffsetMs, parsed.Gps!.OffsetMs) || !Same(batch.Gps.LatitudeDeg, parsed.Gps.LatitudeDeg)
            || !Same(batch.Gps.LongitudeDeg, parsed.Gps.LongitudeDeg) || !Same(batch.Gps.SpeedKmh, parsed.Gps.SpeedKmh)
            || !Same(batch.Gps.HeadingDeg, parsed.Gps.HeadingDeg) || !Same(batch.Gps.GatewayTimed, parsed.Gps.GatewayTimed)))
        {
            return "a gps column";
        }

        if (batch.HasFuel && (!Same(batch.Fuel.OffsetMs, parsed.Fuel!.OffsetMs) || !Same(batch.Fuel.LevelPercent, parsed.Fuel.LevelPercent)
            || BitConverter.SingleToInt32Bits(batch.Fuel.TankCapacityL) != BitConverter.SingleToInt32Bits(parsed.Fuel.TankCapacityL)
            || !Same(batch.Fuel.Windows, parsed.Fuel.Windows)))
        {
            return "a fuel column";
        }

        int index = 0;
        foreach (var temperatures in batch.Temperatures)
        {
            var other = parsed.Temperatures[index];
            if (temperatures.Index != index || temperatures.Zone != other.Zone || !Same(temperatures.OffsetMs, other.OffsetMs)
                || !Same(temperatures.TemperatureC, other.TemperatureC) || !Same(temperatures.Windows, other.Windows))
            {
                return $"temperatures[{index}]";
            }

            index++;
        }

        index = 0;
        foreach (var scalars in batch.Scalars)
        {
            var other = parsed.Scalars[index];
            if (scalars.Index != index || scalars.Kind != other.Kind || !SameText(scalars.Name, other.Name) || !Same(scalars.OffsetMs, other.OffsetMs)
                || !Same(scalars.Value, other.Value) || !Same(scalars.Windows, other.Windows))
            {
                return $"scalars[{index}]";
            }

            index++;
        }

        return null;
    }

    // Text compares as text only where it is UTF-8: the two decoders may replace bad bytes differently.
    private static bool SameText(ReadOnlySpan<byte> utf8, string text) =>
        !System.Text.Unicode.Utf8.IsValid(utf8) || Encoding.UTF8.GetString(utf8) == text;

    private static bool Same(in WindowView windows, WindowColumns? other) =>
        other is null
            ? windows.StartUnixMs.IsEmpty && windows.LengthMs.IsEmpty && windows.Count.IsEmpty && windows.Min.IsEmpty
              && windows.Max.IsEmpty && windows.Mean.IsEmpty && windows.Last.IsEmpty
            : Same(windows.StartUnixMs, other.StartUnixMs) && Same(windows.LengthMs, other.LengthMs) && Same(windows.Count, other.Count)
              && Same(windows.Min, other.Min) && Same(windows.Max, other.Max) && Same(windows.Mean, other.Mean) && Same(windows.Last, other.Last);

    // Bit for bit, so that NaNs compare too.
    private static bool Same<T>(ReadOnlySpan<T> column, RepeatedField<T> other)
        where T : unmanaged
    {
        if (column.Length != other.Count)
        {
            return false;
        }

        var copy = new T[other.Count];
        other.CopyTo(copy, 0);
        return MemoryMarshal.AsBytes(column).SequenceEqual(MemoryMarshal.AsBytes(copy.AsSpan()));
    }
}
