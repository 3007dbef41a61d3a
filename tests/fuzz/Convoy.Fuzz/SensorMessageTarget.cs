using System.Buffers;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;

namespace Convoy.Fuzz;

/// <summary>
/// The edge agent's MQTT payload parser (<see cref="SensorMessageParser"/>) with the default
/// sensors plus a custom and an ignored one. Promises: an accepted reading is in its column's
/// range and within the allowed clock window; and a payload means the same whether MQTTnet hands
/// it over in one piece or in several (a large message arrives as a multi-segment sequence).
/// </summary>
internal sealed class SensorMessageTarget : IFuzzTarget
{
    private readonly MqttOptions _options;
    private readonly SensorCatalog _catalog;
    private readonly SensorMessageParser _parser;

    public SensorMessageTarget()
    {
        _options = new MqttOptions { Enabled = true };
        _options.Sensors["compressor.current"] = "Custom";
        _options.Sensors["cab.temperature"] = "Ignore";
        _catalog = _options.CreateCatalog();
        _parser = new SensorMessageParser(_catalog, _options);
    }

    public string Name => "mqtt";

    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        var outcome = _parser.Parse(new ReadOnlySequence<byte>(bytes), FuzzTargets.NowUnixMs, out var reading);
        var inPieces = _parser.Parse(Pieces(bytes), FuzzTargets.NowUnixMs, out var pieceReading);
        string kind = outcome.ToString();
        if (inPieces != outcome || pieceReading != reading)
        {
            return FuzzOutcome.Breaks(kind, $"in one piece {outcome} {reading}, in pieces {inPieces} {pieceReading}");
        }

        if (outcome != MqttOutcome.Accepted)
        {
            return reading == default ? new FuzzOutcome(kind, 0) : FuzzOutcome.Breaks(kind, $"{outcome} with a reading {reading}");
        }

        if (reading.Column < 0 || reading.Column >= _catalog.Columns.Count || !_catalog.Columns[reading.Column].Accepts(reading.Value))
        {
            return FuzzOutcome.Breaks(kind, $"accepted a reading its column does not take: {reading}");
        }

        long earliest = FuzzTargets.NowUnixMs - (long)_options.MaxReadingAge.TotalMilliseconds;
        long latest = FuzzTargets.NowUnixMs + (long)_options.MaxClockSkew.TotalMilliseconds;
        return reading.UnixTimeMs < earliest || reading.UnixTimeMs > latest
            ? FuzzOutcome.Breaks(kind, $"accepted a reading outside the clock window: {reading}")
            : new FuzzOutcome(kind, 1);
    }

    /// <summary>The payload as a sequence of segments of 1, 2, 3, ... bytes: every token may straddle two.</summary>
    private static ReadOnlySequence<byte> Pieces(byte[] bytes)
    {
        if (bytes.Length < 2)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Piece(bytes.AsMemory(0, 1), 0);
        var last = first;
        int size = 2;
        for (int start = 1; start < bytes.Length; start += size, size++)
        {
            last = last.Append(bytes.AsMemory(start, Math.Min(size, bytes.Length - start)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Piece Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Piece(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
