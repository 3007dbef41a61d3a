using System.Diagnostics;

namespace Convoy.Contracts;

/// <summary>
/// A batch's W3C trace context (https://www.w3.org/TR/trace-context/, "traceparent"), as the edge
/// agent puts it in <c>TelemetryBatch.traceparent</c> and the collector and the alert engine in the
/// Kafka header <see cref="Header"/> of a telemetry record and of an alert record:
/// <c>00-&lt;32 hex trace id&gt;-&lt;16 hex parent span id&gt;-&lt;2 hex flags&gt;</c>, lower case,
/// UTF-8. Read and written over spans, so neither allocates.
/// </summary>
public static class TraceParent
{
    /// <summary>The Kafka header that carries the trace context (UTF-8), as W3C names it.</summary>
    public const string Header = "traceparent";

    /// <summary>The Kafka header of the vendor trace state, when there is one (UTF-8).</summary>
    public const string StateHeader = "tracestate";

    /// <summary>The length of a version-00 traceparent.</summary>
    public const int Length = 55;

    /// <summary>
    /// Reads <paramref name="utf8"/> as a traceparent. False for anything W3C says to ignore: not
    /// 55 characters (a later version may be longer, then a '-' follows), a character that is not
    /// lower-case hex, version ff, or an all-zero trace or span id.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out ActivityContext context, string? traceState = null)
    {
        context = default;
        if (utf8.Length < Length || (utf8.Length > Length && ((utf8[0] == '0' && utf8[1] == '0') || utf8[Length] != '-'))
            || utf8[2] != '-' || utf8[35] != '-' || utf8[52] != '-')
        {
            return false;
        }

        Span<byte> version = stackalloc byte[1];
        Span<byte> trace = stackalloc byte[16];
        Span<byte> span = stackalloc byte[8];
        Span<byte> flags = stackalloc byte[1];
        if (!TryDecode(utf8[..2], version) || version[0] == 0xff
            || !TryDecode(utf8.Slice(3, 32), trace) || !TryDecode(utf8.Slice(36, 16), span) || !TryDecode(utf8.Slice(53, 2), flags)
            || trace.IndexOfAnyExcept((byte)0) < 0 || span.IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        context = new ActivityContext(ActivityTraceId.CreateFromBytes(trace), ActivitySpanId.CreateFromBytes(span),
            (ActivityTraceFlags)(flags[0] & (byte)ActivityTraceFlags.Recorded), traceState, isRemote: true);
        return true;
    }

    /// <summary>Writes <paramref name="context"/> as a version-00 traceparent into <paramref name="utf8"/> (at least <see cref="Length"/> bytes); returns the bytes written.</summary>
    public static int Write(in ActivityContext context, Span<byte> utf8)
    {
        Span<byte> trace = stackalloc byte[16];
        Span<byte> span = stackalloc byte[8];
        context.TraceId.CopyTo(trace);
        context.SpanId.CopyTo(span);
        utf8[0] = (byte)'0';
        utf8[1] = (byte)'0';
        utf8[2] = (byte)'-';
        Encode(trace, utf8.Slice(3, 32));
        utf8[35] = (byte)'-';
        Encode(span, utf8.Slice(36, 16));
        utf8[52] = (byte)'-';
        Encode([(byte)(context.TraceFlags & ActivityTraceFlags.Recorded)], utf8.Slice(53, 2));
        return Length;
    }

    private static bool TryDecode(ReadOnlySpan<byte> hex, Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int high = Nibble(hex[2 * i]);
            int low = Nibble(hex[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            bytes[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    /// <summary>A lower-case hex digit's value, or -1 (W3C allows no upper case).</summary>
    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    private static void Encode(ReadOnlySpan<byte> bytes, Span<byte> hex)
    {
        const string Digits = "0123456789abcdef";
        for (int i = 0; i < bytes.Length; i++)
        {
            hex[2 * i] = (byte)Digits[bytes[i] >> 4];
            hex[(2 * i) + 1] = (byte)Digits[bytes[i] & 0xf];
        }
    }
}
