using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>The durable buffer's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class BufferLog
{
    [LoggerMessage(EventId = 40, EventName = "BufferOpened", Level = LogLevel.Information,
        Message = "{Device}: buffer {Folder} opened with {Segments} segment(s), {Unacknowledged} unacknowledged batch(es), acked {Acked}, last sequence {LastSequence}")]
    public static partial void Opened(ILogger logger, string device, string folder, int segments, int unacknowledged, ulong acked, ulong lastSequence);

    [LoggerMessage(EventId = 41, EventName = "BufferTornTailTruncated", Level = LogLevel.Warning,
        Message = "{Device}: segment {Segment} ended in a partial record (a write cut short); truncated {Bytes} byte(s) at offset {Offset}")]
    public static partial void TornTailTruncated(ILogger logger, string device, string segment, long offset, long bytes);

    [LoggerMessage(EventId = 42, EventName = "BufferSegmentQuarantined", Level = LogLevel.Error,
        Message = "{Device}: segment {Segment} is damaged at offset {Offset} ({Reason}); the file was moved to {QuarantinePath}, the {Kept} record(s) before the damage kept, {LostBatches} batch(es) lost")]
    public static partial void SegmentQuarantined(ILogger logger, string device, string segment, long offset, string reason, string quarantinePath, int kept, long lostBatches);

    [LoggerMessage(EventId = 43, EventName = "BufferDiskBudgetDropped", Level = LogLevel.Warning,
        Message = "{Device}: disk budget of {MaxBytes} byte(s) reached; {How}, dropping {Batches} unacknowledged batch(es) in {First}..{Last} with {Readings} reading(s), {ExcursionReadings} of them excursion readings ({Dropped} batch(es), {DroppedReadings} reading(s) dropped so far)")]
    public static partial void DiskBudgetDropped(ILogger logger, string device, long maxBytes, int batches, ulong first, ulong last, long readings, long excursionReadings, string how, long dropped, long droppedReadings);

    [LoggerMessage(EventId = 44, EventName = "BufferAckFileUnreadable", Level = LogLevel.Warning,
        Message = "{Device}: ack file {Path} unreadable ({Reason}); resending everything still on disk (consumers drop what they already have)")]
    public static partial void AckFileUnreadable(ILogger logger, string device, string path, string reason);

    [LoggerMessage(EventId = 45, EventName = "BufferRecordCorrupt", Level = LogLevel.Error,
        Message = "{Device}: batch {Sequence} in segment {Segment} failed its CRC when read back; dropped")]
    public static partial void RecordCorrupt(ILogger logger, string device, ulong sequence, string segment);

    [LoggerMessage(EventId = 46, EventName = "BufferWriteFailed", Level = LogLevel.Error,
        Message = "{Device}: could not write to {Path}: {Reason}; batch {Sequence} dropped")]
    public static partial void WriteFailed(ILogger logger, string device, string path, string reason, ulong sequence);

    [LoggerMessage(EventId = 47, EventName = "BufferAckWriteFailed", Level = LogLevel.Warning,
        Message = "{Device}: could not persist ack {Acked}: {Reason}; after a restart those batches are sent again")]
    public static partial void AckWriteFailed(ILogger logger, string device, ulong acked, string reason);

    [LoggerMessage(EventId = 48, EventName = "BufferFsyncFailed", Level = LogLevel.Error,
        Message = "{Device}: fsync of {Path} failed: {Reason}")]
    public static partial void FsyncFailed(ILogger logger, string device, string path, string reason);
}
