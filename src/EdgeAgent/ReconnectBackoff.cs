namespace Convoy.EdgeAgent;

/// <summary>
/// How long a link waits before it tries again: the first delay after a failure, doubling with
/// each further failure up to a cap, each delay drawn between half and all of that value so that
/// many trucks that lost the same collector or broker do not come back in step. A link that
/// worked (its connection carried data) calls <see cref="Reset"/>, so the next failure waits the
/// first delay again. One mechanism for every link the agent keeps open: the uplink to the
/// collector, the MQTT input and the NMEA receiver over TCP or a serial port.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <param name="first">The delay after the first failure; positive.</param>
    /// <param name="max">The longest delay; at least <paramref name="first"/>.</param>
    /// <param name="random">A number in [0, 1) per delay, for the jitter; <see cref="Random.Shared"/> unless a test fixes it.</param>
    public ReconnectBackoff(TimeSpan first, TimeSpan max, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        _first = first;
        _max = max;
#pragma warning disable CA5394 // jitter, not security
        _random = random ?? Random.Shared.NextDouble;
#pragma warning restore CA5394
    }

    /// <summary>Failures since the link last worked.</summary>
    public int Failures { get; private set; }

    /// <summary>Counts a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan NextDelay()
    {
        Failures++;
        double ceilingMs = Math.Min(_first.TotalMilliseconds * Math.Pow(2, Math.Min(Failures - 1, 30)), _max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceilingMs * (0.5 + (_random() * 0.5)));
    }

    /// <summary>The link worked: the next failure starts again from the first delay.</summary>
    public void Reset() => Failures = 0;
}
