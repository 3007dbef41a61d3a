namespace Convoy.EdgeAgent.Aggregation;

/// <summary>One scalar reading: its time (ms since the Unix epoch) and value in the sensor's unit.</summary>
internal readonly record struct Reading(long TimeMs, float Value);

/// <summary>One GPS fix (time in ms since the Unix epoch).</summary>
internal readonly record struct Fix(long TimeMs, double LatitudeDeg, double LongitudeDeg, float SpeedKmh, float HeadingDeg, bool GatewayTimed = false);

/// <summary>A growable FIFO of readings that, once grown to its working size, allocates no more.</summary>
internal sealed class ReadingRing
{
    private Reading[] _items = new Reading[64];
    private int _head;

    public int Count { get; private set; }

    public Reading Peek() => _items[_head];

    public void Enqueue(Reading reading)
    {
        if (Count == _items.Length)
        {
            var larger = new Reading[_items.Length * 2];
            for (int i = 0; i < Count; i++)
            {
                larger[i] = _items[(_head + i) % _items.Length];
            }

            (_items, _head) = (larger, 0);
        }

        _items[(_head + Count) % _items.Length] = reading;
        Count++;
    }

    public Reading Dequeue()
    {
        var reading = _items[_head];
        _head = (_head + 1) % _items.Length;
        Count--;
        return reading;
    }
}

/// <summary>
/// One closed aggregation window of a sensor: its bounds, how many readings it reduced, and their
/// minimum, maximum, mean and last value (the wire's <c>WindowColumns</c> row).
/// </summary>
internal readonly record struct WindowSummary(long StartMs, long LengthMs, int Count, float Min, float Max, float Mean, float Last);
