namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>What became of one MQTT message. Values index <see cref="MqttStatistics"/>; names are the metric's <c>outcome</c> tag.</summary>
internal enum MqttOutcome
{
    /// <summary>A reading, passed on to the batcher.</summary>
    Accepted,

    /// <summary>A well-formed reading of a sensor configured as <c>Ignore</c>. Not an error.</summary>
    Ignored,

    /// <summary>Larger than <see cref="MqttOptions.MaxPayloadBytes"/>; not read.</summary>
    Oversized,

    /// <summary>Not one JSON object (empty, malformed, an array, trailing data).</summary>
    NotJson,

    /// <summary>No <c>sensor</c>, <c>value</c> or <c>timestamp</c> field.</summary>
    MissingField,

    /// <summary>A field of the wrong type: <c>sensor</c> not a string (or not text: not UTF-8, a lone surrogate), <c>value</c> not a number, <c>timestamp</c> neither a string nor a number.</summary>
    BadField,

    /// <summary>A <c>sensor</c> name that is not in <see cref="MqttOptions.Sensors"/>.</summary>
    UnknownSensor,

    /// <summary>A value that is NaN or infinite, or too large for the wire's 32-bit float.</summary>
    NotFinite,

    /// <summary>A value outside the range the contract allows for the sensor's kind (e.g. a temperature beyond ±100 °C, a door state other than 0/1).</summary>
    OutOfRange,

    /// <summary>A timestamp that is not ISO 8601 with a UTC offset nor a number of Unix milliseconds.</summary>
    BadTimestamp,

    /// <summary>A timestamp before 2000, ahead of the gateway's clock by more than <see cref="MqttOptions.MaxClockSkew"/>, or older than <see cref="MqttOptions.MaxReadingAge"/>.</summary>
    AbsurdTimestamp,
}

/// <summary>
/// Counts of MQTT messages by <see cref="MqttOutcome"/>. One receive loop writes; anyone may read at
/// any time (metrics, logs, tests), so counts are updated with interlocked operations.
/// </summary>
internal sealed class MqttStatistics
{
    /// <summary>The metric tag of each outcome, indexed by it (constant strings: tagging allocates nothing).</summary>
    public static readonly string[] OutcomeTags =
    [
        "accepted", "ignored", "oversized", "not-json", "missing-field", "bad-field", "unknown-sensor", "not-finite", "out-of-range", "bad-timestamp", "absurd-timestamp",
    ];

    private readonly long[] _counts = new long[(int)MqttOutcome.AbsurdTimestamp + 1];

    public long this[MqttOutcome outcome] => Volatile.Read(ref _counts[(int)outcome]);

    /// <summary>Messages refused (every outcome from <see cref="MqttOutcome.Oversized"/> on).</summary>
    public long Rejected
    {
        get
        {
            long sum = 0;
            for (int i = (int)MqttOutcome.Oversized; i < _counts.Length; i++)
            {
                sum += Volatile.Read(ref _counts[i]);
            }

            return sum;
        }
    }

    public static bool IsRejection(MqttOutcome outcome) => outcome >= MqttOutcome.Oversized;

    public void Count(MqttOutcome outcome) => Interlocked.Increment(ref _counts[(int)outcome]);

    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < _counts.Length; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(OutcomeTags[i]).Append(' ').Append(Volatile.Read(ref _counts[i]));
        }

        return text.ToString();
    }
}
