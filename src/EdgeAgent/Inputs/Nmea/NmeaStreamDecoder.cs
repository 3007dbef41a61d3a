using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Frames a byte stream into lines (LF or CRLF), parses each, counts its outcome and assembles
/// fixes. Lines are parsed where they lie in the pipe's buffer; only a line split across two
/// buffer segments is copied, to the stack. A line longer than <see cref="NmeaParser.MaxLineLength"/>
/// is counted once as overlong and discarded up to the next line end, so a stream that never
/// sends one cannot grow the buffer. One decoder belongs to one source and keeps its epoch across
/// reconnects; it is not thread-safe.
/// </summary>
internal sealed class NmeaStreamDecoder
{
    private readonly GpsFixAssembler _assembler = new();
    private bool _discarding;

    public NmeaStatistics Statistics { get; } = new();

    /// <summary>Epochs dropped because no date had been seen yet (see <see cref="GpsFixAssembler"/>).</summary>
    public long Undated => _assembler.Undated;

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, yielding fixes as their epochs complete. Lines
    /// starting with <paramref name="skipPrefix"/> (0 for none) are not NMEA (comments in capture
    /// files, gpsd's JSON replies) and are skipped uncounted. A partial last line is parsed (and
    /// counted) when the stream ends. The epoch in progress is not flushed: call <see cref="Flush"/>.
    /// <paramref name="idle"/>, when given, is rescheduled to cancel <paramref name="idleTimeout"/>
    /// after every read: pass its token (linked to the caller's) as <paramref name="cancellationToken"/>
    /// and a stream that goes silent ends in an <see cref="OperationCanceledException"/>.
    /// </summary>
    public async IAsyncEnumerable<GpsFix> ReadAsync(Stream stream, byte skipPrefix, CancellationTokenSource? idle, TimeSpan idleTimeout,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _discarding = false;
        idle?.CancelAfter(idleTimeout);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 512, leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken);
                idle?.CancelAfter(idleTimeout);
                var consumed = Frame(result.Buffer, result.IsCompleted, skipPrefix);
                reader.AdvanceTo(consumed, result.Buffer.End);
                while (_assembler.TryTake(out var fix))
                {
                    yield return fix;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>Parses one line and feeds the result to the assembler; returns what became of it.</summary>
    public NmeaOutcome DecodeLine(ReadOnlySpan<byte> line)
    {
        var outcome = NmeaParser.Parse(line, out var sentence);
        Statistics.Count(outcome);
        if (outcome is NmeaOutcome.Decoded or NmeaOutcome.NoFix)
        {
            _assembler.Add(sentence);
        }

        return outcome;
    }

    /// <summary>Emits the epoch in progress (end of a file, a lost connection); take it with <see cref="TryTake"/>.</summary>
    public void Flush() => _assembler.Flush();

    public bool TryTake(out GpsFix fix) => _assembler.TryTake(out fix);

    private SequencePosition Frame(in ReadOnlySequence<byte> buffer, bool completed, byte skipPrefix)
    {
        var reader = new SequenceReader<byte>(buffer);
        // A line ends at LF, CR LF or a lone CR (some receivers send CR only).
        while (reader.TryReadToAny(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (_discarding)
            {
                _discarding = false; // the end of the overlong line, already counted
                continue;
            }

            Handle(line, skipPrefix);
        }

        if (completed)
        {
            if (!_discarding && !reader.End)
            {
                Handle(reader.UnreadSequence, skipPrefix);
            }

            reader.AdvanceToEnd();
        }
        else if (reader.Remaining > NmeaParser.MaxLineLength)
        {
            if (!_discarding)
            {
                // A long comment is still a comment: skipped, not counted as an error.
                if (skipPrefix == 0 || !reader.TryPeek(out byte first) || first != skipPrefix)
                {
                    Statistics.Count(NmeaOutcome.Overlong);
                }

                _discarding = true;
            }

            reader.AdvanceToEnd();
        }

        return reader.Position;
    }

    private void Handle(in ReadOnlySequence<byte> line, byte skipPrefix)
    {
        if (line.IsEmpty || (skipPrefix != 0 && line.FirstSpan[0] == skipPrefix))
        {
            return; // an empty line (the LF of a CR LF), or a comment whatever its length
        }

        // The same limit as Frame's for a line still without its end: a line of 257 bytes must be
        // overlong whether it arrived whole or in pieces (the delimiter is never part of the line).
        if (line.Length > NmeaParser.MaxLineLength)
        {
            Statistics.Count(NmeaOutcome.Overlong);
            return;
        }

        Span<byte> copy = stackalloc byte[NmeaParser.MaxLineLength];
        scoped ReadOnlySpan<byte> span;
        if (line.IsSingleSegment)
        {
            span = line.FirstSpan;
        }
        else
        {
            line.CopyTo(copy);
            span = copy[..(int)line.Length];
        }

        DecodeSentences(span);
    }

    /// <summary>
    /// Resynchronises on '$' as gpsd does: bytes before the first '$' are noise (counted as
    /// garbage), and each '$' starts a sentence, so two sentences run together on one line (a
    /// lost line end) are both decoded. A line with no '$' goes to the parser whole, which says why
    /// it is not a sentence.
    /// </summary>
    private void DecodeSentences(ReadOnlySpan<byte> span)
    {
        int start = span.IndexOf((byte)'$');
        if (start < 0)
        {
            DecodeLine(span);
            return;
        }

        if (start > 0)
        {
            Statistics.Count(NmeaOutcome.Garbage);
            span = span[start..];
        }

        while (true)
        {
            int next = span[1..].IndexOf((byte)'$');
            if (next < 0)
            {
                DecodeLine(span);
                return;
            }

            DecodeLine(span[..(next + 1)]);
            span = span[(next + 1)..];
        }
    }
}
