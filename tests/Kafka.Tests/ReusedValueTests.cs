using Confluent.Kafka;

namespace Convoy.Kafka.Tests;

/// <summary>Each record's value lands in one buffer the consumer reuses; larger values grow it, tombstones read as null.</summary>
public sealed class ReusedValueTests
{
    private static readonly SerializationContext Context = new(MessageComponentType.Value, "telemetry.acme");

    [Fact]
    public void Deserialize_EachValueInTheSameInstance_GrowingForLargerOnes()
    {
        var reader = new ReusedValue.Reader();
        byte[] large = [.. Enumerable.Range(0, 10_000).Select(i => (byte)i)];

        var first = reader.Deserialize("batch-1"u8, isNull: false, Context);
        Assert.Equal("batch-1"u8.ToArray(), first.Span.ToArray());

        var second = reader.Deserialize(large, isNull: false, Context);
        Assert.Same(first, second);
        Assert.Equal(large, second.Span.ToArray());
        Assert.False(second.IsNull);

        var third = reader.Deserialize("b2"u8, isNull: false, Context);
        Assert.Equal("b2"u8.ToArray(), third.Span.ToArray());

        var tombstone = reader.Deserialize(default, isNull: true, Context);
        Assert.True(tombstone.IsNull);
        Assert.Equal(0, tombstone.Length);
    }

    [Fact]
    public void Deserialize_AfterTheFirstLargeValue_AllocatesNothing()
    {
        var reader = new ReusedValue.Reader();
        byte[] value = new byte[6000];
        reader.Deserialize(value, isNull: false, Context);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            reader.Deserialize(value.AsSpan(0, i * 6), isNull: false, Context);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
