using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>
/// One simulated truck: drives a loop of stops around the depot at motorway and town speeds,
/// waits at each stop, burns fuel with distance, and keeps a two-zone reefer (chilled at 2 °C,
/// frozen at -18 °C) near its set points, until its compressor fails and the chilled zone warms
/// toward the outside air. Deterministic for a given seed.
/// </summary>
internal sealed class Truck
{
    private const double EarthRadiusM = 6_371_000;
    private const float ChilledSetPointC = 2f;
    private const float FrozenSetPointC = -18f;
    private const float AmbientC = 24f;
    private const double WarmingTimeConstantS = 1_800; // a failed reefer closes 1/e of the gap to ambient in 30 min
    private const double LitresPer100Km = 32;

    private readonly Random _random;
    private readonly (double Lat, double Lon)[] _stops;
    private readonly long _failureAtMs;
    private readonly long _repairAtMs;
    private readonly float _tankCapacityL;
    private int _nextStop = 1;
    private double _lat;
    private double _lon;
    private float _speedKmh;
    private float _headingDeg;
    private double _dwellLeftS;
    private double _fuelL;
    private double _chilledC = ChilledSetPointC;
    private double _frozenC = FrozenSetPointC;
    private double _cyclePhase;

    public Truck(string device, int index, SimulatorOptions options, long startMs)
    {
        Device = device;
        _random = new Random(HashCode.Combine(options.Seed, index));
        _failureAtMs = index < options.ReeferFailures ? startMs + (long)options.ReeferFailureAfter.TotalMilliseconds : long.MaxValue;
        _repairAtMs = _failureAtMs != long.MaxValue && options.ReeferRepairAfter > TimeSpan.Zero
            ? _failureAtMs + (long)options.ReeferRepairAfter.TotalMilliseconds
            : long.MaxValue;
        _tankCapacityL = 600;
        _fuelL = _tankCapacityL * (0.55 + (0.4 * _random.NextDouble()));
        _cyclePhase = _random.NextDouble() * Math.PI * 2;

        // A loop of five stops 5..40 km from the depot, different for every truck.
        _stops = new (double, double)[5];
        double bearing = _random.NextDouble() * 360;
        _stops[0] = (options.DepotLatitude, options.DepotLongitude);
        for (int i = 1; i < _stops.Length; i++)
        {
            bearing += 40 + (_random.NextDouble() * 60);
            _stops[i] = Destination(options.DepotLatitude, options.DepotLongitude, bearing, 5_000 + (_random.NextDouble() * 35_000));
        }

        (_lat, _lon) = _stops[0];
        _dwellLeftS = _random.NextDouble() * 120;
    }

    public string Device { get; }

    /// <summary>Whether the compressor is broken at <paramref name="timeMs"/>.</summary>
    public bool ReeferFailed(long timeMs) => timeMs >= _failureAtMs && timeMs < _repairAtMs;

    /// <summary>
    /// Fills <paramref name="batch"/> with the readings of [<paramref name="fromMs"/>, <paramref name="fromMs"/> + span),
    /// one every <paramref name="stepMs"/>. Returns the number of readings.
    /// </summary>
    public int Fill(TelemetryBatch batch, long fromMs, long spanMs, long stepMs)
    {
        batch.DeviceId = Device;
        batch.BaseTimeUnixMs = fromMs;
        var gps = new GpsColumns();
        var chilled = new TemperatureColumns { Zone = 1 };
        var frozen = new TemperatureColumns { Zone = 2 };
        var fuel = new FuelColumns { TankCapacityL = _tankCapacityL };
        double stepS = stepMs / 1000.0;
        for (long offset = 0; offset < spanMs; offset += stepMs)
        {
            long now = fromMs + offset;
            Drive(stepS);
            Refrigerate(stepS, now);
            uint offsetMs = (uint)offset;
            gps.OffsetMs.Add(offsetMs);
            gps.LatitudeDeg.Add(Math.Round(_lat + Noise(0.00002), 7));
            gps.LongitudeDeg.Add(Math.Round(_lon + Noise(0.00002), 7));
            gps.SpeedKmh.Add(_speedKmh);
            gps.HeadingDeg.Add(_headingDeg);
            chilled.OffsetMs.Add(offsetMs);
            chilled.TemperatureC.Add((float)Math.Round(_chilledC + Noise(0.05), 2));
            frozen.OffsetMs.Add(offsetMs);
            frozen.TemperatureC.Add((float)Math.Round(_frozenC + Noise(0.05), 2));
            fuel.OffsetMs.Add(offsetMs);
            fuel.LevelPercent.Add((float)Math.Round(100 * _fuelL / _tankCapacityL, 2));
        }

        batch.Gps = gps;
        batch.Temperatures.Add(chilled);
        batch.Temperatures.Add(frozen);
        batch.Fuel = fuel;
        return gps.OffsetMs.Count * 4;
    }

    private void Drive(double seconds)
    {
        if (_dwellLeftS > 0)
        {
            _dwellLeftS -= seconds;
            _speedKmh = 0;
            return;
        }

        var (toLat, toLon) = _stops[_nextStop];
        double remaining = Distance(_lat, _lon, toLat, toLon);
        // Town speed near stops, motorway speed between them, with some drift.
        double cruise = remaining < 3_000 ? 45 : 85;
        _speedKmh = (float)Math.Clamp(cruise + Noise(4), 0, 110);
        double step = _speedKmh / 3.6 * seconds;
        _headingDeg = (float)Bearing(_lat, _lon, toLat, toLon);
        if (step >= remaining)
        {
            (_lat, _lon) = (toLat, toLon);
            _nextStop = (_nextStop + 1) % _stops.Length;
            _dwellLeftS = 300 + (_random.NextDouble() * 900); // 5..20 minutes at a stop
            step = remaining;
        }
        else
        {
            (_lat, _lon) = Destination(_lat, _lon, _headingDeg, step);
        }

        _fuelL = Math.Max(0, _fuelL - (step / 100_000 * LitresPer100Km));
        if (_fuelL < 0.1 * _tankCapacityL && _speedKmh == 0)
        {
            _fuelL = _tankCapacityL * 0.95; // refuelled at the stop
        }
    }

    private void Refrigerate(double seconds, long nowMs)
    {
        if (ReeferFailed(nowMs))
        {
            _chilledC += (AmbientC - _chilledC) * (seconds / WarmingTimeConstantS);
            _frozenC += (AmbientC - _frozenC) * (seconds / (WarmingTimeConstantS * 3));
            return;
        }

        if (nowMs >= _repairAtMs && (Math.Abs(_chilledC - ChilledSetPointC) > 0.6 || Math.Abs(_frozenC - FrozenSetPointC) > 0.6))
        {
            // Repaired: pull down toward the set points (10 min time constant), then cycle again.
            _chilledC += (ChilledSetPointC - _chilledC) * Math.Min(1, seconds / 600);
            _frozenC += (FrozenSetPointC - _frozenC) * Math.Min(1, seconds / 600);
            _cyclePhase = Math.Asin(Math.Clamp((_chilledC - ChilledSetPointC) / 0.6, -1, 1));
            return;
        }

        // A working compressor cycles: a slow swing of +-0.6 °C around the set point.
        _cyclePhase += seconds * 2 * Math.PI / 900;
        _chilledC = ChilledSetPointC + (0.6 * Math.Sin(_cyclePhase));
        _frozenC = FrozenSetPointC + (0.6 * Math.Sin(_cyclePhase + 1));
    }

    private double Noise(double amplitude) => (_random.NextDouble() * 2 - 1) * amplitude;

    private static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        double dLat = DegreesToRadians(lat2 - lat1);
        double dLon = DegreesToRadians(lon2 - lon1);
        double a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
            + (Math.Cos(DegreesToRadians(lat1)) * Math.Cos(DegreesToRadians(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private static double Bearing(double lat1, double lon1, double lat2, double lon2)
    {
        double φ1 = DegreesToRadians(lat1);
        double φ2 = DegreesToRadians(lat2);
        double Δλ = DegreesToRadians(lon2 - lon1);
        double y = Math.Sin(Δλ) * Math.Cos(φ2);
        double x = (Math.Cos(φ1) * Math.Sin(φ2)) - (Math.Sin(φ1) * Math.Cos(φ2) * Math.Cos(Δλ));
        double degrees = RadiansToDegrees(Math.Atan2(y, x));
        return (degrees + 360) % 360;
    }

    private static (double Lat, double Lon) Destination(double lat, double lon, double bearingDeg, double metres)
    {
        double δ = metres / EarthRadiusM;
        double θ = DegreesToRadians(bearingDeg);
        double φ1 = DegreesToRadians(lat);
        double λ1 = DegreesToRadians(lon);
        double φ2 = Math.Asin((Math.Sin(φ1) * Math.Cos(δ)) + (Math.Cos(φ1) * Math.Sin(δ) * Math.Cos(θ)));
        double λ2 = λ1 + Math.Atan2(Math.Sin(θ) * Math.Sin(δ) * Math.Cos(φ1), Math.Cos(δ) - (Math.Sin(φ1) * Math.Sin(φ2)));
        return (RadiansToDegrees(φ2), ((RadiansToDegrees(λ2) + 540) % 360) - 180);
    }

    private static double DegreesToRadians(double degrees) => degrees * Math.PI / 180;

    private static double RadiansToDegrees(double radians) => radians * 180 / Math.PI;
}
