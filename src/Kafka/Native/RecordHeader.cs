namespace Convoy.Kafka.Native;

/// <summary>One header of a record being produced: a name and a value the caller keeps pinned during the call.</summary>
public readonly unsafe struct RecordHeader(RecordHeaderName name, byte* value, int length)
{
    internal nint Name { get; } = name.Pointer;

    internal nint Value { get; } = (nint)value;

    internal int Length { get; } = length;
}
