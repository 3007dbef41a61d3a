using Confluent.Kafka;

namespace Convoy.Kafka;

/// <summary>
/// A consumed record's value, copied into one buffer that the consumer reuses for every record:
/// valid until the next <c>Consume</c>. For a loop that handles each record before it takes the
/// next (and copies what it keeps), so taking a record does not allocate an array for its value.
/// </summary>
public sealed class ReusedValue
{
    private byte[] _buffer = new byte[4096];

    /// <summary>The value's bytes (empty for a null value).</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public int Length { get; private set; }

    /// <summary>Whether the record's value was null (a tombstone).</summary>
    public bool IsNull { get; private set; }

    private void Set(ReadOnlySpan<byte> data, bool isNull)
    {
        if (data.Length > _buffer.Length)
        {
            _buffer = new byte[Math.Max(data.Length, _buffer.Length * 2)];
        }

        data.CopyTo(_buffer);
        Length = data.Length;
        IsNull = isNull;
    }

    /// <summary>
    /// The value deserializer for one consumer: every record's value lands in the same
    /// <see cref="ReusedValue"/>. One per consumer; not for consumers whose records outlive the
    /// next <c>Consume</c>.
    /// </summary>
    public sealed class Reader : IDeserializer<ReusedValue>
    {
        private readonly ReusedValue _value = new();

        public ReusedValue Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            _value.Set(isNull ? default : data, isNull);
            return _value;
        }
    }
}
