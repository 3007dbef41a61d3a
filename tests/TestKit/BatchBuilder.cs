using Convoy.Contracts.Telemetry.V1;

namespace Convoy.TestKit;

/// <summary>
/// Builds the <see cref="TelemetryBatch"/> a test needs, one sensor column at a time. Readings are
/// spaced evenly (<see cref="Every"/>, one second unless told) from the batch's base time, and a
/// value function receives the reading's index. Without <see cref="StartingAt"/> the batch starts a
/// minute before now, inside every window the collector accepts.
/// <code>
/// TelemetryBatch warm = BatchBuilder.For("truck-1", sequence: 3).Every(TimeSpan.FromMinutes(1)).Temperatures(zone: 1, count: 11, _ =&gt; 9f);
/// </code>
/// </summary>
public sealed class BatchBuilder
{
    private readonly TelemetryBatch _batch;
    private uint _spacingMs = 1000;

    private BatchBuilder(TelemetryBatch batch) => _batch = batch;

    /// <summary>A batch of <paramref name="device"/> with <paramref name="sequence"/>, starting a minute ago.</summary>
    public static BatchBuilder For(string device, ulong sequence = 1) =>
        new(new TelemetryBatch { DeviceId = device, Sequence = sequence, BaseTimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000 });

    public static implicit operator TelemetryBatch(BatchBuilder builder) => builder.Build();

    /// <summary>The batch's base time, in Unix milliseconds.</summary>
    public BatchBuilder StartingAt(long baseTimeUnixMs)
    {
        _batch.BaseTimeUnixMs = baseTimeUnixMs;
        return this;
    }

    /// <summary>The batch's base time, <paramref name="ago"/> before now.</summary>
    public BatchBuilder StartingAgo(TimeSpan ago) => StartingAt(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)ago.TotalMilliseconds);

    /// <summary>Sets the tenant field, which a device's own batches leave empty.</summary>
    public BatchBuilder OfTenant(string tenant)
    {
        _batch.TenantId = tenant;
        return this;
    }

    /// <summary>The time between two readings of the columns added after this call.</summary>
    public BatchBuilder Every(TimeSpan spacing)
    {
        _spacingMs = (uint)spacing.TotalMilliseconds;
        return this;
    }

    /// <summary>A reefer zone's temperatures, in °C.</summary>
    public BatchBuilder Temperatures(uint zone, params float[] values) => Temperatures(zone, values.Length, i => values[i]);

    /// <summary><paramref name="count"/> temperatures of a reefer zone, in °C.</summary>
    public BatchBuilder Temperatures(uint zone, int count, Func<int, float> celsius)
    {
        var column = new TemperatureColumns { Zone = zone };
        for (int i = 0; i < count; i++)
        {
            column.OffsetMs.Add(Offset(i));
            column.TemperatureC.Add(celsius(i));
        }

        _batch.Temperatures.Add(column);
        return this;
    }

    /// <summary>
    /// <paramref name="count"/> GPS fixes: speed in km/h, position (Amsterdam unless told) and heading
    /// (north unless told).
    /// </summary>
    public BatchBuilder Gps(int count, Func<int, float> speedKmh, Func<int, (double Latitude, double Longitude)>? position = null, Func<int, float>? headingDeg = null)
    {
        var gps = _batch.Gps ??= new GpsColumns();
        for (int i = 0; i < count; i++)
        {
            var (latitude, longitude) = position?.Invoke(i) ?? (52.37, 4.89);
            gps.OffsetMs.Add(Offset(i));
            gps.LatitudeDeg.Add(latitude);
            gps.LongitudeDeg.Add(longitude);
            gps.SpeedKmh.Add(speedKmh(i));
            gps.HeadingDeg.Add(headingDeg?.Invoke(i) ?? 0f);
        }

        return this;
    }

    /// <summary><paramref name="count"/> fuel levels in percent of a tank of <paramref name="tankCapacityLitres"/> (0: unknown).</summary>
    public BatchBuilder Fuel(int count, Func<int, float> levelPercent, float tankCapacityLitres = 0f)
    {
        var fuel = _batch.Fuel ??= new FuelColumns();
        fuel.TankCapacityL = tankCapacityLitres;
        for (int i = 0; i < count; i++)
        {
            fuel.OffsetMs.Add(Offset(i));
            fuel.LevelPercent.Add(levelPercent(i));
        }

        return this;
    }

    /// <summary><paramref name="count"/> values of a scalar sensor of <paramref name="kind"/> (named <paramref name="name"/> when custom).</summary>
    public BatchBuilder Scalar(ScalarKind kind, int count, Func<int, float> value, string name = "")
    {
        var column = new ScalarColumns { Kind = kind, Name = name };
        for (int i = 0; i < count; i++)
        {
            column.OffsetMs.Add(Offset(i));
            column.Value.Add(value(i));
        }

        _batch.Scalars.Add(column);
        return this;
    }

    /// <summary>Any change the builder has no word for, such as a defect a test needs.</summary>
    public BatchBuilder With(Action<TelemetryBatch> change)
    {
        change(_batch);
        return this;
    }

    /// <summary>A copy of the batch as built so far.</summary>
    public TelemetryBatch Build() => _batch.Clone();

    private uint Offset(int index) => checked((uint)index * _spacingMs);
}
