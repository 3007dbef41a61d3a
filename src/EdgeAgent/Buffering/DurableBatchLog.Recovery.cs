using System.Globalization;

namespace Convoy.EdgeAgent.Buffering;

internal sealed partial class DurableBatchLog
{
    /// <summary>
    /// Rebuilds the index from the folder. A torn tail (a partial or damaged last record, nothing
    /// valid after it) is truncated away. A damaged record with valid data after it means the file
    /// was damaged, not cut short: the file is moved to <c>quarantine/</c> for forensics, the records
    /// before the damage are written back under the segment's name, and the batches after it are
    /// counted as dropped. Nothing here throws for what it finds in the files.
    /// </summary>
    private void Recover()
    {
        ulong highWater = 0;
        if (SegmentFile.TryReadAck(Folder, out ulong acked, out ulong ackHighWater, out string? ackError))
        {
            _acked = acked;
            highWater = Math.Max(acked, ackHighWater);
        }
        else if (ackError is not null)
        {
            BufferLog.AckFileUnreadable(_logger, Device, Path.Combine(Folder, SegmentFile.AckFileName), ackError);
        }

        TryDelete(Path.Combine(Folder, SegmentFile.AckFileName + ".tmp"));
        var files = SegmentFile.List(Folder);
        ulong previous = 0;
        for (int i = 0; i < files.Count; i++)
        {
            var (first, path) = files[i];
            bool isLast = i == files.Count - 1;
            var scan = SegmentFile.Scan(first, path, previous);
            ulong lastGood = scan.Records.Count > 0 ? scan.Records[^1].Sequence : Math.Max(previous, first - 1);
            highWater = Math.Max(highWater, Math.Max(lastGood, scan.HighestSequenceAfterFault));
            if (scan.Fault == SegmentFault.TornTail)
            {
                if (!Truncate(scan))
                {
                    scan.Fault = SegmentFault.Corrupt;
                }
                else
                {
                    BufferLog.TornTailTruncated(_logger, Device, path, scan.ValidLength, scan.FileLength - scan.ValidLength);
                    if (!isLast)
                    {
                        // A segment is closed only after its last record was written: a torn tail
                        // here lost the batches up to the next segment's first sequence.
                        CountLost(lastGood, files[i + 1].First - 1);
                    }
                }
            }

            if (scan.Fault == SegmentFault.Corrupt)
            {
                ulong end = isLast ? Math.Max(scan.HighestSequenceAfterFault, lastGood + 1) : files[i + 1].First - 1;
                long lost = CountLost(lastGood, end);
                string quarantined = Quarantine(scan);
                BufferLog.SegmentQuarantined(_logger, Device, path, scan.ValidLength, scan.Error ?? "record failed its CRC", quarantined, scan.Records.Count, lost);
            }

            previous = lastGood;
            if (!File.Exists(path))
            {
                continue;
            }

            var segment = new Segment(first, path) { LastSequence = lastGood, Bytes = scan.ValidLength };
            foreach (var record in scan.Records)
            {
                if (record.Sequence > _acked)
                {
                    segment.Records.Add(record);
                }
            }

            // Fully acknowledged segments are deleted, except the newest (it keeps the high-water on disk).
            if (segment.Records.Count == 0 && !isLast && segment.LastSequence <= _acked)
            {
                TryDelete(path);
                continue;
            }

            _segments.Add(segment);
            _bytes += segment.Bytes;
            _count += segment.Records.Count;
        }

        _nextSequence = Math.Max(highWater, _acked) + 1;
        if (_segments.Count > 0)
        {
            try
            {
                _writer = OpenWriter(_segments[^1].Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Cannot append to it: the next append starts a new segment instead.
                BufferLog.WriteFailed(_logger, Device, _segments[^1].Path, e.Message, _nextSequence);
                _segments[^1].Bytes = _options.SegmentBytes;
            }
        }

        BufferLog.Opened(_logger, Device, Folder, _segments.Count, _count, _acked, _nextSequence - 1);
    }

    private long CountLost(ulong lastGood, ulong end)
    {
        // Batches already acknowledged were not lost: they are in Kafka.
        ulong from = Math.Max(lastGood, _acked);
        long lost = end > from ? (long)(end - from) : 0;
        _dropped += lost;
        return lost;
    }

    private static bool Truncate(SegmentScan scan)
    {
        try
        {
            using var stream = new FileStream(scan.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
            stream.SetLength(scan.ValidLength);
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            scan.Error = "could not truncate the torn tail: " + e.Message;
            return false;
        }
    }

    /// <summary>Moves the damaged file aside and writes its intact prefix back under its name. Returns where it went.</summary>
    private string Quarantine(SegmentScan scan)
    {
        string folder = Path.Combine(Folder, SegmentFile.QuarantineFolder);
        string stamp = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string target = Path.Combine(folder, Path.GetFileName(scan.Path) + "." + stamp);
        try
        {
            Directory.CreateDirectory(folder);
            File.Move(scan.Path, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cannot even move it: leave it and serve nothing from it (treat it as empty).
            scan.Records.Clear();
            scan.ValidLength = 0;
            return "(not moved: " + e.Message + ")";
        }

        if (scan.ValidLength == 0)
        {
            scan.Records.Clear();
            return target;
        }

        try
        {
            string temp = scan.Path + ".tmp";
            using (var source = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var destination = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                byte[] buffer = new byte[81920];
                long remaining = scan.ValidLength;
                while (remaining > 0)
                {
                    int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                    if (n == 0)
                    {
                        break;
                    }

                    destination.Write(buffer, 0, n);
                    remaining -= n;
                }

                destination.Flush(flushToDisk: true);
            }

            File.Move(temp, scan.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BufferLog.WriteFailed(_logger, Device, scan.Path, e.Message, 0);
            scan.Records.Clear();
            scan.ValidLength = 0;
        }

        return target;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind; harmless (ignored on the next start).
        }
    }
}
