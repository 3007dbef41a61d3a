using Convoy.EdgeAgent.Inputs.Nmea;

namespace Convoy.Fuzz;

/// <summary>
/// The edge agent's NMEA input as a gpsd or TCP bridge feeds it: raw bytes through
/// <see cref="NmeaStreamDecoder"/> (framing, the parser, the fix assembler), JSON lines skipped,
/// the last epoch flushed as at the end of a connection. Promises: a valid fix has a position on
/// the globe, an invalid one NaN coordinates, speed and heading are in range (heading [0, 360));
/// and the bytes decode to the same fixes and counts whether they arrive at once or in small
/// pieces, as a network delivers them.
/// </summary>
internal sealed class NmeaStreamTarget : IFuzzTarget
{
    // Small and prime, so that pieces end at every position of a line over a run.
    private const int PieceBytes = 7;

    public string Name => "nmea";

    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        var (fixes, counts) = Decode(new MemoryStream(bytes, writable: false));
        foreach (var fix in fixes)
        {
            if (Broken(fix) is { } broken)
            {
                return FuzzOutcome.Breaks("fixes", $"{broken}: {fix}");
            }
        }

        var (inPieces, piecesCounts) = Decode(new PieceStream(bytes, PieceBytes));
        if (!fixes.SequenceEqual(inPieces) || !counts.SequenceEqual(piecesCounts))
        {
            return FuzzOutcome.Breaks("fixes", $"at once {fixes.Count} fixes, counts [{string.Join(", ", counts)}]; " +
                                               $"in {PieceBytes}-byte pieces {inPieces.Count} fixes, counts [{string.Join(", ", piecesCounts)}]");
        }

        return new FuzzOutcome("fixes", fixes.Count);
    }

    private static (List<GpsFix> Fixes, long[] Counts) Decode(Stream stream)
    {
        var decoder = new NmeaStreamDecoder();
        var fixes = new List<GpsFix>();
        // Both streams complete every read synchronously: nothing here waits.
        var reading = decoder.ReadAsync(stream, (byte)'{', null, Timeout.InfiniteTimeSpan, CancellationToken.None).GetAsyncEnumerator();
        try
        {
            while (reading.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                fixes.Add(reading.Current);
            }
        }
        finally
        {
            reading.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        decoder.Flush();
        while (decoder.TryTake(out var fix))
        {
            fixes.Add(fix);
        }

        var outcomes = Enum.GetValues<NmeaOutcome>();
        var counts = new long[outcomes.Length];
        for (int i = 0; i < outcomes.Length; i++)
        {
            counts[i] = decoder.Statistics[outcomes[i]];
        }

        return (fixes, counts);
    }

    private static string? Broken(in GpsFix fix)
    {
        if (fix.Valid && !(Math.Abs(fix.Latitude) <= 90 && Math.Abs(fix.Longitude) <= 180))
        {
            return "a valid fix off the globe";
        }

        if (!fix.Valid && !(double.IsNaN(fix.Latitude) && double.IsNaN(fix.Longitude)))
        {
            return "an invalid fix with coordinates";
        }

        if (fix.SpeedKmh is { } speed && !(speed >= 0 && double.IsFinite(speed)))
        {
            return "a speed that is negative or not finite";
        }

        if (fix.HeadingDeg is { } heading && !(heading is >= 0 and < 360))
        {
            return "a heading outside [0, 360)";
        }

        if (fix.Hdop is { } hdop && !double.IsFinite(hdop))
        {
            return "an HDOP that is not finite";
        }

        if (fix.AltitudeM is { } altitude && !double.IsFinite(altitude))
        {
            return "an altitude that is not finite";
        }

        return fix.Satellites is < 0 ? "a negative satellite count" : null;
    }

    /// <summary>A connection that delivers at most a few bytes per read.</summary>
    private sealed class PieceStream(byte[] bytes, int pieceBytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(pieceBytes, buffer.Length), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
