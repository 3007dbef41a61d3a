using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>Where one record of a segment lies, without its payload (payloads stay on disk).</summary>
internal readonly record struct RecordRef(ulong Sequence, long Offset, int Length, int Readings, bool Excursion = false);

/// <summary>What scanning a segment found wrong, at <see cref="SegmentScan.ValidLength"/>.</summary>
internal enum SegmentFault
{
    None,

    /// <summary>The segment ends in a partial or damaged record and nothing valid follows: a write cut short.</summary>
    TornTail,

    /// <summary>A damaged record with valid records after it: the disk or someone else damaged the file.</summary>
    Corrupt,
}

/// <summary>The result of reading one segment from its start.</summary>
internal sealed class SegmentScan
{
    public required ulong FirstSequence { get; init; }

    public required string Path { get; init; }

    public List<RecordRef> Records { get; } = [];

    public long FileLength { get; set; }

    /// <summary>Bytes from the start that hold only valid records.</summary>
    public long ValidLength { get; set; }

    public SegmentFault Fault { get; set; }

    /// <summary>Highest sequence seen past the fault (in a readable header or a valid record), 0 if none.</summary>
    public ulong HighestSequenceAfterFault { get; set; }

    public string? Error { get; set; }
}

/// <summary>
/// The on-disk format of the durable buffer. A device folder holds segment files named by the
/// sequence of their first record (<c>00000000000000000001.seg</c>, 20 digits so names sort as
/// numbers) and an <c>ack</c> file. A segment is a run of records, each (little-endian):
/// <code>
///   u32 payload length | u32 CRC-32 of bytes 8.. (sequence, readings, payload) | u64 sequence | i32 readings | payload
/// </code>
/// Bit 30 of the readings word (<see cref="ExcursionFlag"/>) marks a batch holding excursion
/// readings (the disk-full policy drops those last); the low 30 bits are the count. Files written
/// before the flag existed have it clear, so they read as they always did; an older agent reading
/// a newer file sees a flagged batch's count as larger than it is, and nothing else changes.
/// Sequences inside a segment, and across segments, are strictly increasing (gaps allowed). The ack
/// file is <c>u32 magic "CVYA" | u64 acked | u64 highest sequence handed out | u32 CRC-32 of the 20 bytes before</c>,
/// replaced atomically (temp file + rename).
/// </summary>
internal static class SegmentFile
{
    public const int HeaderBytes = 20;

    /// <summary>Bit of the readings word that marks a batch holding excursion readings.</summary>
    public const int ExcursionFlag = 1 << 30;

    private const int ReadingsMask = ExcursionFlag - 1;
    public const string Extension = ".seg";
    public const string AckFileName = "ack";
    public const string QuarantineFolder = "quarantine";
    public const int AckFileBytes = 24;
    private const uint AckMagic = 0x41595643; // "CVYA" little-endian

    /// <summary>No batch is this large (the collector refuses more than a few MiB); a longer length is damage.</summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Largest segment file recovery reads (it reads a segment whole): a segment holds at most
    /// <see cref="DurableBufferOptions.SegmentBytes"/> (≤ 64 MiB) or one record of at most
    /// <see cref="MaxPayloadBytes"/>; anything larger is not ours and is treated as damaged.
    /// </summary>
    public const long MaxSegmentFileBytes = 2L * MaxPayloadBytes;

    public static string Name(ulong firstSequence) => firstSequence.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The segments of a device folder, oldest first; other files are ignored.</summary>
    public static List<(ulong First, string Path)> List(string folder)
    {
        var segments = new List<(ulong, string)>();
        if (!Directory.Exists(folder))
        {
            return segments;
        }

        foreach (string path in Directory.EnumerateFiles(folder, "*" + Extension))
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(path);
            if (name.Length == 20 && ulong.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out ulong first) && first > 0)
            {
                segments.Add((first, path));
            }
        }

        segments.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return segments;
    }

    /// <summary>Writes the header of a record into <paramref name="record"/>, whose payload is already in place after it (the checksum covers it); the span must hold both.</summary>
    public static void WriteHeader(Span<byte> record, ulong sequence, int readings, int payloadLength, bool excursion = false)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], sequence);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], Math.Min(readings, ReadingsMask) | (excursion ? ExcursionFlag : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32.HashToUInt32(record[8..(HeaderBytes + payloadLength)]));
    }

    /// <summary>
    /// Whether a whole, intact record starts at the beginning of <paramref name="data"/>; a record
    /// must also carry a sequence above <paramref name="after"/>.
    /// </summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> data, ulong after, out ulong sequence, out int length, out int readings) =>
        TryReadRecord(data, after, out sequence, out length, out readings, out _);

    /// <inheritdoc cref="TryReadRecord(ReadOnlySpan{byte}, ulong, out ulong, out int, out int)"/>
    public static bool TryReadRecord(ReadOnlySpan<byte> data, ulong after, out ulong sequence, out int length, out int readings, out bool excursion)
    {
        excursion = false;
        sequence = 0;
        length = 0;
        readings = 0;
        if (data.Length < HeaderBytes)
        {
            return false;
        }

        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (declared > MaxPayloadBytes || declared > (uint)(data.Length - HeaderBytes))
        {
            return false;
        }

        ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
        if (seq <= after || count < 0)
        {
            return false;
        }

        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (Crc32.HashToUInt32(data[8..(HeaderBytes + (int)declared)]) != crc)
        {
            return false;
        }

        (sequence, length, readings, excursion) = (seq, (int)declared, count & ReadingsMask, (count & ExcursionFlag) != 0);
        return true;
    }

    /// <summary>
    /// Reads a segment from its start and says where its valid records end and what lies beyond.
    /// Reads through a window of <see cref="ScanWindowBytes"/> (larger only for a record that does
    /// not fit), so start-up memory does not grow with the segment size or the backlog; only a
    /// damaged segment's remainder, from the damage on, is read whole to look for intact records
    /// after it. Never throws for damaged content; reports an unreadable file as corrupt from offset 0.
    /// </summary>
    public static SegmentScan Scan(ulong firstSequence, string path, ulong previousSequence)
    {
        var scan = new SegmentScan { FirstSequence = firstSequence, Path = path };
        byte[] window = System.Buffers.ArrayPool<byte>.Shared.Rent(ScanWindowBytes);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long fileLength = RandomAccess.GetLength(handle);
            scan.FileLength = fileLength;
            if (fileLength > MaxSegmentFileBytes)
            {
                scan.Fault = SegmentFault.Corrupt;
                scan.Error = $"segment of {fileLength} bytes is larger than any this buffer writes";
                return scan;
            }

            ulong last = Math.Max(previousSequence, firstSequence - 1);
            long offset = 0;
            long windowStart = 0;
            int windowLength = 0;
            while (offset < fileLength)
            {
                // The record at `offset` must lie whole in the window (as far as the file goes).
                int at = (int)(offset - windowStart);
                long needed = HeaderBytes;
                if (windowLength - at >= HeaderBytes)
                {
                    uint declared = BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(at));
                    needed = declared <= MaxPayloadBytes ? HeaderBytes + (long)declared : HeaderBytes;
                }

                long available = Math.Min(needed, fileLength - offset);
                if (windowLength - at < available)
                {
                    if (available > window.Length)
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(window);
                        window = System.Buffers.ArrayPool<byte>.Shared.Rent((int)available);
                    }

                    windowStart = offset;
                    windowLength = ReadAt(handle, window.AsSpan(0, (int)Math.Min(window.Length, fileLength - offset)), offset);
                    if (windowLength < available)
                    {
                        fileLength = offset + windowLength; // shortened while we read: it ends here
                    }

                    continue; // look at the header again with the window refilled
                }

                if (!TryReadRecord(window.AsSpan(at, windowLength - at), last, out ulong sequence, out int length, out int readings, out bool excursion))
                {
                    break;
                }

                scan.Records.Add(new RecordRef(sequence, offset, length, readings, excursion));
                last = sequence;
                offset += HeaderBytes + length;
            }

            scan.ValidLength = offset;
            if (offset < fileLength)
            {
                // Rare (a torn tail or damage): what follows is read whole, bounded by the segment size.
                System.Buffers.ArrayPool<byte>.Shared.Return(window);
                window = System.Buffers.ArrayPool<byte>.Shared.Rent((int)(fileLength - offset));
                int rest = ReadAt(handle, window.AsSpan(0, (int)(fileLength - offset)), offset);
                ScanFault(scan, window.AsSpan(0, rest), last);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            scan.Fault = SegmentFault.Corrupt;
            scan.Error = e.Message;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(window);
        }

        return scan;
    }

    /// <summary>Bytes recovery and <c>check</c> read of a segment at a time (records are a few hundred bytes to a few KiB).</summary>
    internal const int ScanWindowBytes = 64 * 1024;

    private static int ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> destination, long fileOffset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = RandomAccess.Read(handle, destination[total..], fileOffset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Classifies what lies after the last valid record (<paramref name="rest"/>: the file from there to its end).</summary>
    private static void ScanFault(SegmentScan scan, ReadOnlySpan<byte> rest, ulong last)
    {
        // A header whose sequence is readable and plausible still tells us a sequence was handed
        // out (never hand it out again).
        ulong highest = 0;
        if (rest.Length >= HeaderBytes)
        {
            ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(rest[8..]);
            if (declared > last && declared - last < 1_000_000)
            {
                highest = declared;
            }
        }

        // Look for any intact record further on: if there is one, this was not a write cut short.
        bool validAfter = false;
        for (int probe = 1; probe + HeaderBytes <= rest.Length; probe++)
        {
            if (TryReadRecord(rest[probe..], last, out ulong sequence, out int length, out _))
            {
                validAfter = true;
                highest = Math.Max(highest, sequence);
                probe += HeaderBytes + length - 1;
            }
        }

        scan.HighestSequenceAfterFault = highest;
        scan.Fault = validAfter ? SegmentFault.Corrupt : SegmentFault.TornTail;
    }

    public static bool TryReadAck(string folder, out ulong acked, out ulong highWater, out string? error)
    {
        acked = 0;
        highWater = 0;
        error = null;
        string path = System.IO.Path.Combine(folder, AckFileName);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            Span<byte> bytes = stackalloc byte[AckFileBytes + 1];
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int n = RandomAccess.Read(handle, bytes, 0);
            if (n != AckFileBytes
                || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != AckMagic
                || BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]) != Crc32.HashToUInt32(bytes[..20]))
            {
                error = $"not a valid ack file ({n} bytes)";
                return false;
            }

            acked = BinaryPrimitives.ReadUInt64LittleEndian(bytes[4..]);
            highWater = BinaryPrimitives.ReadUInt64LittleEndian(bytes[12..]);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Replaces the ack file atomically: a reader sees the old or the new one, never half of either.</summary>
    public static void WriteAck(string folder, ulong acked, ulong highWater, bool fsync)
    {
        Span<byte> bytes = stackalloc byte[AckFileBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, AckMagic);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[4..], acked);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[12..], highWater);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[20..], Crc32.HashToUInt32(bytes[..20]));
        string path = System.IO.Path.Combine(folder, AckFileName);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(bytes);
            if (fsync)
            {
                stream.Flush(flushToDisk: true);
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}
