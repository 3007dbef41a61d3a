using System.Buffers;
using System.Threading.Channels;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>
/// One device's outgoing batches, kept on disk until the collector acknowledged them: an
/// append-only log of CRC-checked records in segment files under
/// <c>&lt;Folder&gt;/&lt;tenant&gt;/&lt;device&gt;/</c> (format: <see cref="SegmentFile"/>). It survives
/// restarts and power cuts (as far as <see cref="DurableBufferOptions.FsyncPolicy"/> promises), and
/// hands out sequences that are never reused, even after every segment was acknowledged and deleted.
/// <para>
/// What must stay true: memory holds only where each record lies (about 32 bytes a batch), never
/// payloads; the disk holds at most <see cref="DurableBufferOptions.MaxBytes"/>, beyond which the
/// oldest aggregated batches go first and excursion batches only when nothing else is left
/// (counted in <see cref="Dropped"/>, <see cref="DroppedReadings"/>, logged and metered); damaged files are truncated or
/// quarantined at start-up, never a reason to fail (so the agent cannot crash-loop on its own files).
/// </para>
/// </summary>
internal sealed partial class DurableBatchLog : IBatchBuffer, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly DurableBufferOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<Segment> _segments = [];
    private readonly ITimer? _fsyncTimer;
    private FileStream? _writer;
    private bool _dirty;
    private bool _ackDirty;
    private long _fsyncs;
    private SafeFileHandle? _reader;
    private Segment? _readerSegment;
    private ulong _nextSequence = 1;
    private ulong _acked;
    private long _dropped;
    private int _count;
    private long _bytes;
    private bool _disposed;
    private long _droppedReadings;
    private long _droppedExcursionReadings;
    private readonly string _tenant;
    private readonly EdgeAgentMetrics? _metrics;

    public DurableBatchLog(string tenant, string device, DurableBufferOptions options, ILogger? logger = null, TimeProvider? time = null, EdgeAgentMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Pki.DeviceIdentity.IsValidTenant(tenant) || !Pki.DeviceIdentity.IsValidDevice(device) || device is "." or "..")
        {
            throw new ArgumentException($"'{tenant}'/'{device}' is not a valid tenant/device", nameof(device));
        }

        Device = device;
        _tenant = tenant;
        _metrics = metrics;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        Folder = Path.GetFullPath(Path.Combine(options.Folder, tenant, device));
        Directory.CreateDirectory(Folder);
        Recover();
        if (options.FsyncPolicy == FsyncPolicy.Interval)
        {
            var period = TimeSpan.FromMilliseconds(options.FsyncIntervalMs);
            _fsyncTimer = _time.CreateTimer(static state => ((DurableBatchLog)state!).FlushToDisk(), this, period, period);
        }
    }

    public string Device { get; }

    /// <summary>This device's folder.</summary>
    public string Folder { get; }

    /// <summary>When this buffer makes records survive a power cut (EdgeAgent:Buffer:FsyncPolicy).</summary>
    public FsyncPolicy FsyncPolicy => _options.FsyncPolicy;

    public ulong Acked
    {
        get
        {
            lock (_gate)
            {
                return _acked;
            }
        }
    }

    public ulong LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _nextSequence - 1;
            }
        }
    }

    public long Dropped
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Readings in batches dropped to keep within the disk budget (excursion ones included).</summary>
    public long DroppedReadings
    {
        get
        {
            lock (_gate)
            {
                return _droppedReadings;
            }
        }
    }

    /// <summary>Of <see cref="DroppedReadings"/>, those in excursion batches (dropped only when nothing else was left).</summary>
    public long DroppedExcursionReadings
    {
        get
        {
            lock (_gate)
            {
                return _droppedExcursionReadings;
            }
        }
    }

    /// <summary>Bytes of all segments on disk (what <see cref="DurableBufferOptions.MaxBytes"/> bounds).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>fsyncs of segment data so far (tests and diagnostics: shows the policy at work).</summary>
    public long Fsyncs
    {
        get
        {
            lock (_gate)
            {
                return _fsyncs;
            }
        }
    }

    /// <summary>Segment files on disk.</summary>
    public int Segments
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count;
            }
        }
    }

    public ulong Append(TelemetryBatch batch, int readings, bool excursion = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ulong sequence;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            sequence = _nextSequence;
            batch.Sequence = sequence;
            int length = batch.CalculateSize();
            if (length > SegmentFile.MaxPayloadBytes)
            {
                // A batcher bug, not a disk problem: the collector refuses batches of a few MiB already.
                throw new ArgumentOutOfRangeException(nameof(batch), length, $"a batch of {length} bytes is larger than the buffer stores ({SegmentFile.MaxPayloadBytes})");
            }

            _nextSequence++;
            int recordBytes = SegmentFile.HeaderBytes + length;
            byte[] record = ArrayPool<byte>.Shared.Rent(recordBytes);
            try
            {
                batch.WriteTo(record.AsSpan(SegmentFile.HeaderBytes, length));
                SegmentFile.WriteHeader(record, sequence, readings, length, excursion);
                Write(record.AsSpan(0, recordBytes), sequence, length, readings, excursion);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(record);
            }
        }

        _doorbell.Writer.TryWrite(true);
        return sequence;
    }

    public bool TryGetNext(ulong after, out ulong sequence, out byte[] bytes)
    {
        lock (_gate)
        {
            while (!_disposed && TryFind(after, out var segment, out int index))
            {
                var record = segment.Records[index];
                if (TryRead(segment, record, out bytes))
                {
                    sequence = record.Sequence;
                    return true;
                }

                // Damaged since it was written (the disk, or someone else): drop it, serve the next.
                BufferLog.RecordCorrupt(_logger, Device, record.Sequence, segment.Path);
                segment.Records.RemoveAt(index);
                _count--;
                _dropped++;
            }
        }

        (sequence, bytes) = (0, []);
        return false;
    }

    public (int Batches, long Readings) Acknowledge(ulong sequence)
    {
        int batches = 0;
        long readings = 0;
        lock (_gate)
        {
            if (sequence <= _acked || _disposed)
            {
                return (0, 0);
            }

            _acked = sequence;
            _nextSequence = Math.Max(_nextSequence, sequence + 1);
            foreach (var segment in _segments)
            {
                while (segment.Head < segment.Records.Count && segment.Records[segment.Head].Sequence <= sequence)
                {
                    readings += segment.Records[segment.Head].Readings;
                    segment.Head++;
                    batches++;
                }
            }

            _count -= batches;

            // Under the interval policy the ack file is replaced on the next tick, not per ack: a
            // crash in between only means some acknowledged batches are sent again (consumers drop them).
            if (_options.FsyncPolicy == FsyncPolicy.Interval)
            {
                _ackDirty = true;
            }
            else
            {
                PersistAck();
            }

            // Fully acknowledged segments go, except the one being written (it also keeps the
            // sequence high-water visible on disk should the ack file ever be lost).
            while (_segments.Count > 1 && _segments[0].LastSequence <= _acked)
            {
                DeleteOldest();
            }
        }

        _doorbell.Writer.TryWrite(true);
        return (batches, readings);
    }

    public async ValueTask WaitForChangeAsync(CancellationToken cancellationToken) => await _doorbell.Reader.ReadAsync(cancellationToken);

    /// <summary>With any policy but Never, <see cref="FlushToDisk"/> now (records already reach the OS in Append, so a crash of the process never loses them).</summary>
    public void MakeDurable()
    {
        if (_options.FsyncPolicy != FsyncPolicy.Never)
        {
            FlushToDisk();
        }
    }

    /// <summary>Forces everything written so far to the storage device (what the interval policy does in the background).</summary>
    public void FlushToDisk()
    {
        lock (_gate)
        {
            if (_ackDirty && !_disposed)
            {
                PersistAck();
            }

            if (_writer is null || !_dirty)
            {
                return;
            }

            try
            {
                _writer.Flush(flushToDisk: true);
                _dirty = false;
                _fsyncs++;
            }
            catch (IOException e)
            {
                BufferLog.FsyncFailed(_logger, Device, _writer.Name, e.Message);
            }
        }
    }

    public void Dispose()
    {
        _fsyncTimer?.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_ackDirty)
            {
                PersistAck();
            }

            try
            {
                _writer?.Flush(flushToDisk: _options.FsyncPolicy != FsyncPolicy.Never);
            }
            catch (IOException e)
            {
                BufferLog.FsyncFailed(_logger, Device, _writer!.Name, e.Message);
            }

            _writer?.Dispose();
            _writer = null;
            _reader?.Dispose();
            _reader = null;
        }
    }

    private void Write(ReadOnlySpan<byte> record, ulong sequence, int length, int readings, bool excursion)
    {
        var active = _segments.Count > 0 ? _segments[^1] : null;
        if (active is null || _writer is null || (active.Bytes > 0 && active.Bytes + record.Length > _options.SegmentBytes))
        {
            active = Roll(sequence);
            if (active is null)
            {
                _dropped++;
                return;
            }
        }

        MakeRoom(record.Length);

        long offset = active.Bytes;
        try
        {
            _writer!.Write(record);
            if (_options.FsyncPolicy == FsyncPolicy.EveryBatch)
            {
                _writer.Flush(flushToDisk: true);
                _fsyncs++;
            }
            else
            {
                _dirty = true;
            }
        }
        catch (IOException e)
        {
            // Disk full or failing: count the batch as lost rather than take the agent down, and
            // cut off whatever part of the record reached the file so the next one lands clean.
            BufferLog.WriteFailed(_logger, Device, active.Path, e.Message, sequence);
            _dropped++;
            try
            {
                _writer!.SetLength(offset);
                _writer.Position = offset;
            }
            catch (IOException)
            {
                // Recovery at the next start truncates the torn tail.
            }

            return;
        }

        active.Records.Add(new RecordRef(sequence, offset, length, readings, excursion));
        active.LastSequence = sequence;
        active.Bytes += record.Length;
        _bytes += record.Length;
        _count++;
    }

    /// <summary>Closes the segment being written and starts one named by <paramref name="first"/>.</summary>
    private Segment? Roll(ulong first)
    {
        string path = Path.Combine(Folder, SegmentFile.Name(first));
        try
        {
            if (_writer is not null)
            {
                _writer.Flush(flushToDisk: _options.FsyncPolicy != FsyncPolicy.Never);
                _writer.Dispose();
                _writer = null;
            }

            _writer = OpenWriter(path);
        }
        catch (IOException e)
        {
            BufferLog.WriteFailed(_logger, Device, path, e.Message, first);
            return null;
        }

        var segment = new Segment(first, path) { LastSequence = first - 1 };
        _segments.Add(segment);
        return segment;
    }

    private static FileStream OpenWriter(string path)
    {
        // No user-space buffer: a record is handed to the OS before Append returns, so a crash of
        // the process (not of the machine) never loses it, and readers see it at once.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    private void DeleteOldest()
    {
        var oldest = _segments[0];
        _segments.RemoveAt(0);
        _bytes -= oldest.Bytes;
        if (ReferenceEquals(_readerSegment, oldest))
        {
            _reader?.Dispose();
            (_reader, _readerSegment) = (null, null);
        }

        try
        {
            File.Delete(oldest.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BufferLog.WriteFailed(_logger, Device, oldest.Path, e.Message, 0);
        }
    }

    private void PersistAck()
    {
        _ackDirty = false;
        try
        {
            SegmentFile.WriteAck(Folder, _acked, _nextSequence - 1, fsync: _options.FsyncPolicy != FsyncPolicy.Never);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BufferLog.AckWriteFailed(_logger, Device, _acked, e.Message);
        }
    }

    private bool TryFind(ulong after, out Segment segment, out int index)
    {
        foreach (var candidate in _segments)
        {
            if (candidate.LastSequence <= after || candidate.Head >= candidate.Records.Count)
            {
                continue;
            }

            // Binary search for the first unacknowledged record above `after`.
            int lo = candidate.Head;
            int hi = candidate.Records.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (candidate.Records[mid].Sequence <= after)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo < candidate.Records.Count)
            {
                (segment, index) = (candidate, lo);
                return true;
            }
        }

        (segment, index) = (null!, -1);
        return false;
    }

    private bool TryRead(Segment segment, RecordRef record, out byte[] payload)
    {
        payload = [];
        int recordBytes = SegmentFile.HeaderBytes + record.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(recordBytes);
        try
        {
            if (_reader is null || !ReferenceEquals(_readerSegment, segment))
            {
                _reader?.Dispose();
                _reader = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                _readerSegment = segment;
            }

            var reader = _reader;

            int total = 0;
            while (total < recordBytes)
            {
                int n = RandomAccess.Read(reader, buffer.AsSpan(total, recordBytes - total), record.Offset + total);
                if (n == 0)
                {
                    return false;
                }

                total += n;
            }

            if (!SegmentFile.TryReadRecord(buffer.AsSpan(0, recordBytes), record.Sequence - 1, out ulong sequence, out int length, out _)
                || sequence != record.Sequence || length != record.Length)
            {
                return false;
            }

            payload = buffer.AsSpan(SegmentFile.HeaderBytes, length).ToArray();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _reader?.Dispose();
            (_reader, _readerSegment) = (null, null);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One segment file: where its unacknowledged records lie.</summary>
    private sealed class Segment(ulong first, string path)
    {
        public ulong First { get; } = first;

        public string Path { get; } = path;

        /// <summary>Records in sequence order; those before <see cref="Head"/> are acknowledged.</summary>
        public List<RecordRef> Records { get; } = [];

        public int Head { get; set; }

        /// <summary>Highest sequence written to this segment (First - 1 while empty).</summary>
        public ulong LastSequence { get; set; }

        public long Bytes { get; set; }
    }
}
