using System.Buffers;
using System.Text.Json;

namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>
/// Reads one MQTT message of the form
/// <c>{"sensor": "reefer.zone1.temperature", "value": -18.4, "timestamp": "2026-11-23T21:40:00.250Z"}</c>
/// into a <see cref="SensorReading"/>. The timestamp is ISO 8601 with a UTC offset (Z or ±hh:mm), or a
/// JSON number of milliseconds since the Unix epoch; the value a JSON number (true/false read as 1/0,
/// for door states). Other fields are skipped. Reads the payload in place with <see cref="Utf8JsonReader"/>:
/// no object graph, nothing allocated for a good message (a gateway takes thousands a minute).
/// </summary>
internal sealed class SensorMessageParser
{
    private const long Year2000UnixMs = 946_684_800_000;

    // A sensor name is at most 64 characters; in UTF-8 with JSON escapes it cannot be longer than this.
    private const int MaxSensorBytes = SensorCatalog.MaxNameLength * 6;
    private const int MaxTimestampBytes = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    private readonly SensorCatalog _catalog;
    private readonly int _maxPayloadBytes;
    private readonly long _maxSkewMs;
    private readonly long _maxAgeMs;

    public SensorMessageParser(SensorCatalog catalog, MqttOptions options)
    {
        _catalog = catalog;
        _maxPayloadBytes = options.MaxPayloadBytes;
        _maxSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        _maxAgeMs = (long)options.MaxReadingAge.TotalMilliseconds;
    }

    private enum Field
    {
        Other,
        Sensor,
        Value,
        Timestamp,
    }

    /// <summary>Reads <paramref name="payload"/>; <paramref name="reading"/> is set only for <see cref="MqttOutcome.Accepted"/>.</summary>
    public MqttOutcome Parse(in ReadOnlySequence<byte> payload, long nowMs, out SensorReading reading)
    {
        reading = default;
        if (payload.Length > _maxPayloadBytes)
        {
            return MqttOutcome.Oversized;
        }

        try
        {
            return ParseObject(payload, nowMs, out reading);
        }
        catch (JsonException)
        {
            // Utf8JsonReader reports malformed JSON only by throwing; this is the refusal path, not the
            // normal one. Python's json.dumps writes NaN and Infinity as bare words, which are not JSON:
            // say what the publisher got wrong rather than just "not JSON".
            return Contains(payload, "NaN"u8) || Contains(payload, "Infinity"u8) ? MqttOutcome.NotFinite : MqttOutcome.NotJson;
        }
    }

    private MqttOutcome ParseObject(in ReadOnlySequence<byte> payload, long nowMs, out SensorReading reading)
    {
        reading = default;
        var json = new Utf8JsonReader(payload, ReaderOptions);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            return MqttOutcome.NotJson;
        }

        // The first problem found per field decides the outcome, checked in a fixed order below so that
        // a message with several problems is always counted the same way.
        MqttOutcome sensorState = MqttOutcome.MissingField, valueState = MqttOutcome.MissingField, timeState = MqttOutcome.MissingField;
        int column = -1;
        double value = 0;
        long timeMs = 0;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            var field = json.ValueTextEquals("sensor"u8) ? Field.Sensor
                : json.ValueTextEquals("value"u8) ? Field.Value
                : json.ValueTextEquals("timestamp"u8) ? Field.Timestamp
                : Field.Other;
            json.Read();
            switch (field)
            {
                case Field.Sensor:
                    sensorState = ReadSensor(ref json, out column);
                    break;
                case Field.Value:
                    valueState = ReadValue(ref json, out value);
                    break;
                case Field.Timestamp:
                    timeState = ReadTimestamp(ref json, out timeMs);
                    break;
                case Field.Other:
                default:
                    break;
            }

            json.Skip(); // the rest of an object or array value; nothing for a plain value
        }

        if (json.TokenType != JsonTokenType.EndObject || json.Read())
        {
            return MqttOutcome.NotJson; // a second value after the object throws inside Read, also "not JSON"
        }

        if (sensorState == MqttOutcome.MissingField || valueState == MqttOutcome.MissingField || timeState == MqttOutcome.MissingField)
        {
            return MqttOutcome.MissingField;
        }

        if (sensorState == MqttOutcome.BadField || valueState == MqttOutcome.BadField || timeState == MqttOutcome.BadField)
        {
            return MqttOutcome.BadField;
        }

        if (sensorState != MqttOutcome.Accepted)
        {
            return sensorState; // unknown or ignored
        }

        if (valueState != MqttOutcome.Accepted)
        {
            return valueState;
        }

        float wire = (float)value;
        if (!float.IsFinite(wire))
        {
            return MqttOutcome.NotFinite;
        }

        if (!_catalog.Columns[column].Accepts(wire))
        {
            return MqttOutcome.OutOfRange;
        }

        if (timeState != MqttOutcome.Accepted)
        {
            return timeState;
        }

        if (timeMs < Year2000UnixMs || timeMs > nowMs + _maxSkewMs || timeMs < nowMs - _maxAgeMs)
        {
            return MqttOutcome.AbsurdTimestamp;
        }

        reading = new SensorReading(column, timeMs, wire);
        return MqttOutcome.Accepted;
    }

    private MqttOutcome ReadSensor(ref Utf8JsonReader json, out int column)
    {
        column = -1;
        if (json.TokenType != JsonTokenType.String)
        {
            return MqttOutcome.BadField;
        }

        long length = json.HasValueSequence ? json.ValueSequence.Length : json.ValueSpan.Length;
        if (length is 0 or > MaxSensorBytes)
        {
            return length == 0 ? MqttOutcome.BadField : MqttOutcome.UnknownSensor;
        }

        // UTF-16 never needs more code units than UTF-8 has bytes; CopyString also undoes escapes.
        Span<char> name = stackalloc char[MaxSensorBytes];
        int written;
        try
        {
            written = json.CopyString(name);
        }
        catch (InvalidOperationException)
        {
            // The reader checks a string's UTF-8 only when it transcodes it, and says so only by
            // throwing (as for malformed JSON, on the refusal path): bytes that are not UTF-8, or an
            // escaped lone surrogate, make a name that is not text.
            return MqttOutcome.BadField;
        }

        if (!_catalog.TryFind(name[..written], out column))
        {
            return MqttOutcome.UnknownSensor;
        }

        return column == SensorCatalog.Ignored ? MqttOutcome.Ignored : MqttOutcome.Accepted;
    }

    private static MqttOutcome ReadValue(ref Utf8JsonReader json, out double value)
    {
        value = 0;
        switch (json.TokenType)
        {
            case JsonTokenType.Number:
                // TryGetDouble fails for a number beyond double's range (1e999): not finite either way.
                return json.TryGetDouble(out value) && double.IsFinite(value) ? MqttOutcome.Accepted : MqttOutcome.NotFinite;
            case JsonTokenType.True:
                value = 1;
                return MqttOutcome.Accepted;
            case JsonTokenType.False:
                return MqttOutcome.Accepted;
            case JsonTokenType.String:
                // "NaN" and "Infinity" as strings: what some serializers write for non-finite numbers.
                return json.ValueTextEquals("NaN"u8) || json.ValueTextEquals("Infinity"u8) || json.ValueTextEquals("-Infinity"u8)
                    ? MqttOutcome.NotFinite
                    : MqttOutcome.BadField;
            default:
                return MqttOutcome.BadField;
        }
    }

    private static MqttOutcome ReadTimestamp(ref Utf8JsonReader json, out long unixMs)
    {
        unixMs = 0;
        if (json.TokenType == JsonTokenType.Number)
        {
            if (json.TryGetInt64(out unixMs))
            {
                return MqttOutcome.Accepted;
            }

            // 1.7e12 or 1732398000123.5: still milliseconds, only written differently.
            if (json.TryGetDouble(out double ms) && double.IsFinite(ms) && Math.Abs(ms) < 9e15)
            {
                unixMs = (long)Math.Floor(ms);
                return MqttOutcome.Accepted;
            }

            return MqttOutcome.BadTimestamp;
        }

        if (json.TokenType != JsonTokenType.String)
        {
            return MqttOutcome.BadField;
        }

        long length = json.HasValueSequence ? json.ValueSequence.Length : json.ValueSpan.Length;
        if (length > MaxTimestampBytes || !json.TryGetDateTimeOffset(out var time))
        {
            return MqttOutcome.BadTimestamp;
        }

        // Without an offset the reader would assume the gateway's local zone: a silent error of hours.
        Span<byte> text = stackalloc byte[MaxTimestampBytes];
        text = text[..json.CopyString(text)];
        if (!HasUtcOffset(text))
        {
            return MqttOutcome.BadTimestamp;
        }

        unixMs = time.ToUnixTimeMilliseconds();
        return MqttOutcome.Accepted;
    }

    /// <summary>Whether an ISO 8601 date-time ends in Z or carries ±hh:mm after its time part.</summary>
    private static bool HasUtcOffset(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        if (text[^1] is (byte)'Z' or (byte)'z')
        {
            return true;
        }

        int t = text.IndexOfAny((byte)'T', (byte)'t');
        return t >= 0 && text[(t + 1)..].IndexOfAny((byte)'+', (byte)'-') >= 0;
    }

    private static bool Contains(in ReadOnlySequence<byte> payload, ReadOnlySpan<byte> word)
    {
        var reader = new SequenceReader<byte>(payload);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, word);
    }
}
