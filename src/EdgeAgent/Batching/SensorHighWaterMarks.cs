using System.Globalization;
using System.Text;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;

namespace Convoy.EdgeAgent.Batching;

/// <summary>
/// Per sensor, the time of the newest reading stored in a batch, kept across restarts so that
/// readings a source sends again after the agent died (MQTT QoS 1: stored, but the acknowledgement
/// never left) are recognised as duplicates instead of being sent a second time under a new
/// sequence, which no consumer's (device, sequence) de-duplication could catch.
/// <para>
/// Kept in <c>sensor-marks</c> in the buffer's folder, replaced whole (temporary file, then rename)
/// after each batch is stored and before its readings are acknowledged. A crash between the two
/// leaves the file one batch behind; the batch itself is then still in the buffer (unless the
/// collector acknowledged it within those microseconds), and start-up reads the buffer's kept
/// batches appended after the file was saved (the file records the buffer's last sequence then),
/// so the marks are never behind what is stored, and a long backlog is not read at start-up.
/// </para>
/// Sensors are named by column, not by index: <c>temperature/3</c>, <c>fuel</c>,
/// <c>EngineRpm/</c>, <c>Custom/compressor.current</c>, so a changed sensor list keeps its marks.
/// </summary>
internal static class SensorHighWaterMarks
{
    public const string FileName = "sensor-marks";

    // The line naming the buffer's last sequence when the file was saved ('@' is in no column's name).
    private const string SequenceKey = "@sequence";

    /// <summary>The column's name in the marks file.</summary>
    public static string Key(SensorColumn column) => column.Kind switch
    {
        SensorColumnKind.Temperature => TemperatureKey(column.Zone),
        SensorColumnKind.FuelLevel => "fuel",
        _ => ScalarKey(column.Scalar, column.CustomName),
    };

    /// <summary>What was stored before this start: the marks file, raised by every batch the buffer still keeps.</summary>
    public static Dictionary<string, long> Recover(string? folder, IBatchBuffer buffer)
    {
        var marks = Load(folder, out ulong savedAt);
        ulong after = Math.Max(buffer.Acked, savedAt);
        while (buffer.TryGetNext(after, out ulong sequence, out byte[] bytes))
        {
            after = sequence;
            TelemetryBatch batch;
            try
            {
                batch = TelemetryBatch.Parser.ParseFrom(bytes);
            }
            catch (Google.Protobuf.InvalidProtocolBufferException)
            {
                continue; // the buffer checks every record; a batch it keeps is readable
            }

            Raise(marks, batch);
        }

        return marks;
    }

    /// <summary>Raises <paramref name="marks"/> to the newest reading of each sensor column in <paramref name="batch"/>.</summary>
    public static void Raise(Dictionary<string, long> marks, TelemetryBatch batch)
    {
        foreach (var zone in batch.Temperatures)
        {
            Raise(marks, TemperatureKey(zone.Zone), batch.BaseTimeUnixMs, zone.OffsetMs);
        }

        if (batch.Fuel is { } fuel)
        {
            Raise(marks, "fuel", batch.BaseTimeUnixMs, fuel.OffsetMs);
        }

        foreach (var scalar in batch.Scalars)
        {
            Raise(marks, ScalarKey(scalar.Kind, scalar.Name), batch.BaseTimeUnixMs, scalar.OffsetMs);
        }
    }

    /// <summary>
    /// Replaces the marks file (temporary file, fsync when asked, rename), noting <paramref name="lastSequence"/>:
    /// every batch up to it is covered by the marks. An I/O failure is the caller's to log.
    /// </summary>
    public static void Save(string folder, IReadOnlyDictionary<string, long> marks, ulong lastSequence, bool fsync)
    {
        var text = new StringBuilder();
        text.Append(SequenceKey).Append('=').Append(lastSequence.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (key, ms) in marks)
        {
            text.Append(key).Append('=').Append(ms.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        string path = Path.Combine(folder, FileName);
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            if (fsync)
            {
                stream.Flush(flushToDisk: true);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static Dictionary<string, long> Load(string? folder, out ulong savedAt)
    {
        savedAt = 0;
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        string? path = folder is null ? null : Path.Combine(folder, FileName);
        if (path is null || !File.Exists(path))
        {
            return marks;
        }

        // A damaged line (a torn write cannot happen with the rename, but a hand edit can) is skipped:
        // the buffer's batches still raise what they hold.
        foreach (string line in File.ReadLines(path))
        {
            int equals = line.LastIndexOf('=');
            if (equals > 0 && line.AsSpan(0, equals).SequenceEqual(SequenceKey))
            {
                _ = ulong.TryParse(line.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out savedAt);
            }
            else if (equals > 0 && long.TryParse(line.AsSpan(equals + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ms))
            {
                string key = line[..equals];
                marks[key] = Math.Max(ms, marks.GetValueOrDefault(key, long.MinValue));
            }
        }

        return marks;
    }

    private static void Raise(Dictionary<string, long> marks, string key, long baseMs, Google.Protobuf.Collections.RepeatedField<uint> offsets)
    {
        if (offsets.Count == 0)
        {
            return;
        }

        long newest = long.MinValue;
        foreach (uint offset in offsets)
        {
            newest = Math.Max(newest, baseMs + offset);
        }

        if (!marks.TryGetValue(key, out long mark) || newest > mark)
        {
            marks[key] = newest;
        }
    }

    private static string TemperatureKey(uint zone) => "temperature/" + zone.ToString(CultureInfo.InvariantCulture);

    private static string ScalarKey(ScalarKind kind, string name) => kind switch
    {
        ScalarKind.EngineRpm => "EngineRpm/",
        ScalarKind.BatteryVoltageV => "BatteryVoltage/",
        ScalarKind.ReeferDoorOpen => "ReeferDoorOpen/",
        ScalarKind.HumidityPercent => "HumidityPercent/",
        ScalarKind.OdometerKm => "OdometerKm/",
        _ => "Custom/" + name,
    };
}
