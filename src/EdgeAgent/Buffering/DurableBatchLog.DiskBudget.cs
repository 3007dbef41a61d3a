using System.Buffers;

namespace Convoy.EdgeAgent.Buffering;

internal sealed partial class DurableBatchLog
{
    /// <summary>
    /// The disk-full policy: before <paramref name="incoming"/> bytes are written, makes room within
    /// <see cref="DurableBufferOptions.MaxBytes"/>. Aggregated (unflagged) batches go first, oldest
    /// first: a closed segment holding only those is deleted, one that also holds excursion batches
    /// is rewritten with just its excursion batches. Only when no closed segment holds anything but
    /// excursion batches do those go, oldest segment first. The segment being written is never
    /// touched. Every dropped batch and reading is counted, logged and metered.
    /// </summary>
    private void MakeRoom(int incoming)
    {
        while (_bytes + incoming > _options.MaxBytes && _segments.Count > 1)
        {
            if (!DropOldestAggregated())
            {
                DropOldestSegment();
            }
        }
    }

    /// <summary>Drops the aggregated batches of the oldest closed segment holding any. False if none does.</summary>
    private bool DropOldestAggregated()
    {
        for (int i = 0; i < _segments.Count - 1; i++)
        {
            var segment = _segments[i];
            bool aggregated = false, excursion = false;
            for (int r = segment.Head; r < segment.Records.Count; r++)
            {
                aggregated |= !segment.Records[r].Excursion;
                excursion |= segment.Records[r].Excursion;
            }

            if (!aggregated)
            {
                continue;
            }

            if (!excursion)
            {
                if (i == 0)
                {
                    DropOldestSegment();
                }
                else
                {
                    CountDropped(segment, keepExcursions: false, "deleted the segment");
                    _segments.RemoveAt(i);
                    _bytes -= segment.Bytes;
                    ForgetReader(segment);
                    TryDeleteSegment(segment.Path);
                }

                return true;
            }

            if (Compact(segment))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Deletes the oldest segment whatever it holds (the last resort: only excursion batches are left).</summary>
    private void DropOldestSegment()
    {
        CountDropped(_segments[0], keepExcursions: false, "deleted the oldest segment");
        DeleteOldest();
    }

    /// <summary>Rewrites <paramref name="segment"/> with only its unacknowledged excursion batches (temp file + rename).</summary>
    private bool Compact(Segment segment)
    {
        string temp = segment.Path + ".compact";
        byte[]? data = null;
        var kept = new List<RecordRef>();
        long written = 0;
        try
        {
            ForgetReader(segment);
            int length = (int)segment.Bytes;
            data = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            using (var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                int total = 0;
                while (total < length)
                {
                    int n = RandomAccess.Read(handle, data.AsSpan(total, length - total), total);
                    if (n == 0)
                    {
                        throw new IOException($"{segment.Path} is shorter than the {length} bytes written to it");
                    }

                    total += n;
                }
            }

            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                for (int r = segment.Head; r < segment.Records.Count; r++)
                {
                    var record = segment.Records[r];
                    if (!record.Excursion)
                    {
                        continue;
                    }

                    int bytes = SegmentFile.HeaderBytes + record.Length;
                    output.Write(data, (int)record.Offset, bytes);
                    kept.Add(record with { Offset = written });
                    written += bytes;
                }

                output.Flush(flushToDisk: _options.FsyncPolicy != FsyncPolicy.Never);
            }

            File.Move(temp, segment.Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cannot rewrite it: fall back to deleting it whole (the next pass picks it as oldest).
            BufferLog.WriteFailed(_logger, Device, segment.Path, e.Message, 0);
            TryDeleteSegment(temp);
            return false;
        }
        finally
        {
            if (data is not null)
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }

        CountDropped(segment, keepExcursions: true, "rewrote the segment keeping its excursion batches");
        segment.Records.Clear();
        segment.Records.AddRange(kept);
        segment.Head = 0;
        _bytes -= segment.Bytes - written;
        segment.Bytes = written;
        return true;
    }

    private void CountDropped(Segment segment, bool keepExcursions, string how)
    {
        int batches = 0;
        long readings = 0, excursionReadings = 0;
        ulong first = 0, last = 0;
        for (int r = segment.Head; r < segment.Records.Count; r++)
        {
            var record = segment.Records[r];
            if (keepExcursions && record.Excursion)
            {
                continue;
            }

            batches++;
            readings += record.Readings;
            excursionReadings += record.Excursion ? record.Readings : 0;
            first = first == 0 ? record.Sequence : first;
            last = record.Sequence;
        }

        if (batches == 0)
        {
            return;
        }

        _count -= batches;
        _dropped += batches;
        _droppedReadings += readings;
        _droppedExcursionReadings += excursionReadings;
        BufferLog.DiskBudgetDropped(_logger, Device, _options.MaxBytes, batches, first, last, readings, excursionReadings, how, _dropped, _droppedReadings);
        _metrics?.DroppedReadings(_tenant, readings - excursionReadings, excursionReadings);
    }

    private void ForgetReader(Segment segment)
    {
        if (ReferenceEquals(_readerSegment, segment))
        {
            _reader?.Dispose();
            (_reader, _readerSegment) = (null, null);
        }
    }

    private void TryDeleteSegment(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BufferLog.WriteFailed(_logger, Device, path, e.Message, 0);
        }
    }
}
