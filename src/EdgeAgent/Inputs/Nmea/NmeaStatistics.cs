namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>What became of one input line. Values index <see cref="NmeaStatistics"/>.</summary>
internal enum NmeaOutcome
{
    /// <summary>A GGA, RMC, GLL, GNS, VTG or ZDA that reports a fix (or, for ZDA, a date).</summary>
    Decoded,

    /// <summary>A well-formed GGA, RMC or VTG in which the receiver says it has no fix (RMC V, GGA quality 0/7/8). Not an error.</summary>
    NoFix,

    /// <summary>A well-formed sentence of a type not decoded here (GSV, GSA, TXT, proprietary $P...). Not an error.</summary>
    Unsupported,

    /// <summary>Not an NMEA sentence: no leading '$', control or non-ASCII bytes, a malformed checksum field.</summary>
    Garbage,

    /// <summary>Cut short: no '*hh' checksum at the end (a partial line after a connect or a dropped byte).</summary>
    Truncated,

    /// <summary>The checksum does not match the XOR of the bytes between '$' and '*'.</summary>
    BadChecksum,

    /// <summary>The checksum matched but a field is missing or out of range (a receiver bug, or a corruption the XOR missed).</summary>
    BadField,

    /// <summary>Longer than <see cref="NmeaParser.MaxLineLength"/> bytes without a line end; discarded up to the next one.</summary>
    Overlong,
}

/// <summary>
/// Counts of input lines by <see cref="NmeaOutcome"/>, for one source. One reader writes; anyone
/// may read at any time (metrics, logs, tests), so counts are updated with interlocked operations.
/// </summary>
internal sealed class NmeaStatistics
{
    private readonly long[] _counts = new long[(int)NmeaOutcome.Overlong + 1];

    public long this[NmeaOutcome outcome] => Volatile.Read(ref _counts[(int)outcome]);

    /// <summary>Lines that were not usable sentences (every outcome from <see cref="NmeaOutcome.Garbage"/> on).</summary>
    public long Errors
    {
        get
        {
            long sum = 0;
            for (int i = (int)NmeaOutcome.Garbage; i < _counts.Length; i++)
            {
                sum += Volatile.Read(ref _counts[i]);
            }

            return sum;
        }
    }

    /// <summary>Every line counted, errors included (comments and blank lines are not counted).</summary>
    public long Lines
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                sum += Volatile.Read(ref _counts[i]);
            }

            return sum;
        }
    }

    public static bool IsError(NmeaOutcome outcome) => outcome >= NmeaOutcome.Garbage;

    public void Count(NmeaOutcome outcome) => Interlocked.Increment(ref _counts[(int)outcome]);

    public override string ToString() =>
        $"decoded {this[NmeaOutcome.Decoded]}, no-fix {this[NmeaOutcome.NoFix]}, unsupported {this[NmeaOutcome.Unsupported]}, " +
        $"garbage {this[NmeaOutcome.Garbage]}, truncated {this[NmeaOutcome.Truncated]}, bad checksum {this[NmeaOutcome.BadChecksum]}, " +
        $"bad field {this[NmeaOutcome.BadField]}, overlong {this[NmeaOutcome.Overlong]}";
}
