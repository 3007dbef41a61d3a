using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EdgeAgent.Simulation;

// The event logs' arguments (a time, a place name) are cheap and the events rare (a few per truck
// and hour), so they are evaluated even when logging is off rather than guarded at every call.
#pragma warning disable CA1873

/// <summary>
/// One simulated truck: drives a loop from its home depot past customers and other depots at
/// motorway and town speeds, waits at each stop, burns fuel with distance and refuels at depots,
/// and keeps a two-zone reefer (chilled at 2 °C, frozen at -18 °C) near its set points until its
/// compressor fails and the chilled zone warms toward the outside air. With
/// <see cref="SimulatorOptions.Events"/> it also has its door opened at customers, fuel stolen
/// while parked, speeding spells and tunnels without a GPS fix, each logged when it starts.
/// Deterministic for a given seed (across processes too); events draw from their own random
/// stream, so turning them on does not change the route.
/// </summary>
internal sealed class Truck
{
    private const double EarthRadiusM = 6_371_000;
    private const float ChilledSetPointC = 2f;
    private const float FrozenSetPointC = -18f;
    private const float AmbientC = 24f;
    private const double WarmingTimeConstantS = 1_800; // a failed reefer closes 1/e of the gap to ambient in 30 min
    private const double DoorOpenTimeConstantS = 600; // an open door: 1/e of the gap in 10 min
    private const double LitresPer100Km = 32;

    private readonly Random _random;
    private readonly Random _events;
    private readonly SimulatorEventOptions _eventOptions;
    private readonly ILogger _logger;
    private readonly (double Lat, double Lon)[] _stops;
    private readonly int[] _stopDepot; // index into _depots, or -1 for a customer
    private readonly DepotOptions[] _depots;
    private readonly bool[] _inDepot;
    private readonly long _failureAtMs;
    private readonly long _repairAtMs;
    private readonly float _tankCapacityL;
    private int _nextStop = 1;
    private int _currentStop;
    private double _lat;
    private double _lon;
    private float _speedKmh;
    private float _headingDeg;
    private double _dwellLeftS;
    private double _fuelL;
    private double _chilledC = ChilledSetPointC;
    private double _frozenC = FrozenSetPointC;
    private double _cyclePhase;
    private bool _failureLogged;
    private bool _repairLogged;
    private bool _recovering;
    private long _doorOpenUntilMs = long.MinValue;
    private long _speedingUntilMs = long.MinValue;
    private double _speedingKmh;
    private long _gpsLostUntilMs = long.MinValue;

    public Truck(string device, int index, SimulatorOptions options, long startMs, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Device = device;
        _logger = logger ?? NullLogger.Instance;
        _eventOptions = options.Events;
        // Not HashCode.Combine: that is seeded per process, and a seed must repeat a run anywhere.
        _random = new Random(unchecked((options.Seed * 7_919) + index));
        _events = new Random(unchecked((options.Seed * 104_729) + (index * 31) + 17));
        _failureAtMs = index < options.ReeferFailures ? startMs + (long)options.ReeferFailureAfter.TotalMilliseconds : long.MaxValue;
        _repairAtMs = _failureAtMs != long.MaxValue && options.ReeferRepairAfter > TimeSpan.Zero
            ? _failureAtMs + (long)options.ReeferRepairAfter.TotalMilliseconds
            : long.MaxValue;
        _tankCapacityL = 600;
        _fuelL = _tankCapacityL * (0.55 + (0.4 * _random.NextDouble()));
        _cyclePhase = _random.NextDouble() * Math.PI * 2;
        _depots = Depots(options);
        _inDepot = new bool[_depots.Length];

        // A loop of four customers 5..40 km from the home depot, different for every truck, with
        // the other depots called at half-way.
        var customers = new (double, double)[4];
        double bearing = _random.NextDouble() * 360;
        for (int i = 0; i < customers.Length; i++)
        {
            bearing += 40 + (_random.NextDouble() * 60);
            customers[i] = Destination(_depots[0].Latitude, _depots[0].Longitude, bearing, 5_000 + (_random.NextDouble() * 35_000));
        }

        _stops = new (double, double)[1 + customers.Length + _depots.Length - 1];
        _stopDepot = new int[_stops.Length];
        int stop = 0;
        (_stops[stop], _stopDepot[stop++]) = ((_depots[0].Latitude, _depots[0].Longitude), 0);
        for (int i = 0; i < customers.Length; i++)
        {
            (_stops[stop], _stopDepot[stop++]) = (customers[i], -1);
            if (i == (customers.Length / 2) - 1)
            {
                for (int d = 1; d < _depots.Length; d++)
                {
                    (_stops[stop], _stopDepot[stop++]) = ((_depots[d].Latitude, _depots[d].Longitude), d);
                }
            }
        }

        (_lat, _lon) = _stops[0];
        _dwellLeftS = _random.NextDouble() * 120;
    }

    public string Device { get; }

    /// <summary>Whether the compressor is broken at <paramref name="timeMs"/>.</summary>
    public bool ReeferFailed(long timeMs) => timeMs >= _failureAtMs && timeMs < _repairAtMs;

    /// <summary>
    /// Fills <paramref name="batch"/> with the readings of [<paramref name="fromMs"/>, <paramref name="fromMs"/> + span),
    /// one every <paramref name="stepMs"/> (no GPS fix while the fix is lost). Returns the number of readings.
    /// </summary>
    public int Fill(TelemetryBatch batch, long fromMs, long spanMs, long stepMs)
    {
        ArgumentNullException.ThrowIfNull(batch);
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
            Drive(stepS, now);
            Refrigerate(stepS, now);
            uint offsetMs = (uint)offset;
            // Noise is drawn even without a fix, so a GPS loss does not change the other readings.
            double lat = Math.Round(_lat + Noise(0.00002), 7);
            double lon = Math.Round(_lon + Noise(0.00002), 7);
            if (!GpsLost(stepS, now))
            {
                gps.OffsetMs.Add(offsetMs);
                gps.LatitudeDeg.Add(lat);
                gps.LongitudeDeg.Add(lon);
                gps.SpeedKmh.Add(_speedKmh);
                gps.HeadingDeg.Add(_headingDeg);
            }

            chilled.OffsetMs.Add(offsetMs);
            chilled.TemperatureC.Add((float)Math.Round(_chilledC + Noise(0.05), 2));
            frozen.OffsetMs.Add(offsetMs);
            frozen.TemperatureC.Add((float)Math.Round(_frozenC + Noise(0.05), 2));
            fuel.OffsetMs.Add(offsetMs);
            fuel.LevelPercent.Add((float)Math.Round(100 * _fuelL / _tankCapacityL, 2));
        }

        if (gps.OffsetMs.Count > 0)
        {
            batch.Gps = gps;
        }

        batch.Temperatures.Add(chilled);
        batch.Temperatures.Add(frozen);
        batch.Fuel = fuel;
        return gps.OffsetMs.Count + (chilled.OffsetMs.Count * 3);
    }

    private static DepotOptions[] Depots(SimulatorOptions options)
    {
        if (options.Events.Depots.Count > 0)
        {
            return [.. options.Events.Depots];
        }

        var (hubLat, hubLon) = Destination(options.DepotLatitude, options.DepotLongitude, 45, 25_000);
        return
        [
            new DepotOptions { Name = "home", Latitude = options.DepotLatitude, Longitude = options.DepotLongitude },
            new DepotOptions { Name = "hub", Latitude = hubLat, Longitude = hubLon },
        ];
    }

    private void Drive(double seconds, long nowMs)
    {
        if (_dwellLeftS > 0)
        {
            _dwellLeftS -= seconds;
            _speedKmh = 0;
            Parked(seconds, nowMs);
            return;
        }

        var (toLat, toLon) = _stops[_nextStop];
        double remaining = Distance(_lat, _lon, toLat, toLon);
        // Town speed near stops, motorway speed between them, with some drift.
        double cruise = remaining < 3_000 ? 45 : 85;
        if (remaining >= 3_000 && nowMs >= _speedingUntilMs && Happens(_eventOptions.SpeedingPerHour, seconds))
        {
            var spell = Around(_eventOptions.SpeedingFor);
            _speedingUntilMs = nowMs + (long)spell.TotalMilliseconds;
            _speedingKmh = 100 + (_events.NextDouble() * 15);
            SimulationLog.Speeding(_logger, Device, At(nowMs), _speedingKmh, spell);
        }

        if (nowMs < _speedingUntilMs && remaining >= 3_000)
        {
            cruise = _speedingKmh;
        }

        _speedKmh = (float)Math.Clamp(cruise + Noise(4), 0, 130);
        double step = _speedKmh / 3.6 * seconds;
        _headingDeg = BatchCheck.WireHeading(Bearing(_lat, _lon, toLat, toLon));
        if (step >= remaining)
        {
            (_lat, _lon) = (toLat, toLon);
            _currentStop = _nextStop;
            _nextStop = (_nextStop + 1) % _stops.Length;
            _dwellLeftS = 300 + (_random.NextDouble() * 900); // 5..20 minutes at a stop
            step = remaining;
        }
        else
        {
            (_lat, _lon) = Destination(_lat, _lon, _headingDeg, step);
        }

        _fuelL = Math.Max(0, _fuelL - (step / 100_000 * LitresPer100Km));
        WatchDepots(nowMs);
        if (_dwellLeftS > 0)
        {
            Arrived(nowMs);
        }
    }

    /// <summary>Just stopped at <see cref="_currentStop"/>: refuel when low (at a depot, or at a customer when nearly empty).</summary>
    private void Arrived(long nowMs)
    {
        int depot = _stopDepot[_currentStop];
        double percent = 100 * _fuelL / _tankCapacityL;
        double threshold = depot >= 0 ? _eventOptions.RefuelBelowPercent : _eventOptions.RefuelBelowPercent / 4;
        if (percent < threshold)
        {
            _fuelL = _tankCapacityL * (0.95 + (0.05 * _random.NextDouble()));
            SimulationLog.Refuelled(_logger, Device, Place(), At(nowMs), percent, 100 * _fuelL / _tankCapacityL);
        }
    }

    /// <summary>Parked for <paramref name="seconds"/>: at a customer the door may open and fuel may be stolen.</summary>
    private void Parked(double seconds, long nowMs)
    {
        if (_stopDepot[_currentStop] >= 0)
        {
            return;
        }

        if (nowMs >= _doorOpenUntilMs && Happens(_eventOptions.DoorOpeningsPerHour, seconds))
        {
            var open = Around(_eventOptions.DoorOpenFor);
            _doorOpenUntilMs = nowMs + (long)open.TotalMilliseconds;
            SimulationLog.DoorOpened(_logger, Device, Place(), At(nowMs), open);
        }

        if (Happens(_eventOptions.FuelTheftsPerHour, seconds))
        {
            double before = 100 * _fuelL / _tankCapacityL;
            _fuelL = Math.Max(0, _fuelL - (_tankCapacityL * (0.15 + (0.10 * _events.NextDouble()))));
            SimulationLog.FuelTheft(_logger, Device, Place(), At(nowMs), before, 100 * _fuelL / _tankCapacityL);
        }
    }

    private void WatchDepots(long nowMs)
    {
        for (int d = 0; d < _depots.Length; d++)
        {
            bool inside = Distance(_lat, _lon, _depots[d].Latitude, _depots[d].Longitude) <= _depots[d].RadiusM;
            if (inside != _inDepot[d])
            {
                _inDepot[d] = inside;
                if (inside)
                {
                    SimulationLog.DepotEntered(_logger, Device, _depots[d].Name, At(nowMs));
                }
                else
                {
                    SimulationLog.DepotLeft(_logger, Device, _depots[d].Name, At(nowMs));
                }
            }
        }
    }

    private bool GpsLost(double seconds, long nowMs)
    {
        if (nowMs < _gpsLostUntilMs)
        {
            return true;
        }

        if (!Happens(_eventOptions.GpsLossesPerHour, seconds))
        {
            return false;
        }

        var lost = Around(_eventOptions.GpsLossFor);
        _gpsLostUntilMs = nowMs + (long)lost.TotalMilliseconds;
        SimulationLog.GpsFixLost(_logger, Device, At(nowMs), lost);
        return true;
    }

    private void Refrigerate(double seconds, long nowMs)
    {
        if (ReeferFailed(nowMs))
        {
            if (!_failureLogged)
            {
                _failureLogged = true;
                SimulationLog.CompressorFailed(_logger, Device, At(nowMs), AmbientC);
            }

            _chilledC += (AmbientC - _chilledC) * (seconds / WarmingTimeConstantS);
            _frozenC += (AmbientC - _frozenC) * (seconds / (WarmingTimeConstantS * 3));
            return;
        }

        if (nowMs >= _repairAtMs && !_repairLogged)
        {
            _repairLogged = true;
            _recovering = true;
            SimulationLog.CompressorRepaired(_logger, Device, At(nowMs));
        }

        if (nowMs < _doorOpenUntilMs)
        {
            // Door open: warm air floods the trailer, the chilled zone (by the door) most.
            _chilledC += (AmbientC - _chilledC) * (seconds / DoorOpenTimeConstantS);
            _frozenC += (AmbientC - _frozenC) * (seconds / (DoorOpenTimeConstantS * 4));
            _recovering = true;
            return;
        }

        if (_recovering && (Math.Abs(_chilledC - ChilledSetPointC) > 0.6 || Math.Abs(_frozenC - FrozenSetPointC) > 0.6))
        {
            // Repaired, or the door closed: pull down toward the set points (10 min time constant), then cycle again.
            _chilledC += (ChilledSetPointC - _chilledC) * Math.Min(1, seconds / 600);
            _frozenC += (FrozenSetPointC - _frozenC) * Math.Min(1, seconds / 600);
            _cyclePhase = Math.Asin(Math.Clamp((_chilledC - ChilledSetPointC) / 0.6, -1, 1));
            return;
        }

        _recovering = false;
        // A working compressor cycles: a slow swing of +-0.6 °C around the set point.
        _cyclePhase += seconds * 2 * Math.PI / 900;
        _chilledC = ChilledSetPointC + (0.6 * Math.Sin(_cyclePhase));
        _frozenC = FrozenSetPointC + (0.6 * Math.Sin(_cyclePhase + 1));
    }

    /// <summary>Whether an event of <paramref name="perHour"/> happens within the next <paramref name="seconds"/>.</summary>
    private bool Happens(double perHour, double seconds) => perHour > 0 && _events.NextDouble() < perHour * seconds / 3600;

    private TimeSpan Around(TimeSpan typical) => TimeSpan.FromSeconds(Math.Round(typical.TotalSeconds * (0.5 + _events.NextDouble())));

    private string Place()
    {
        int depot = _stopDepot[_currentStop];
        return depot >= 0 ? "depot " + _depots[depot].Name : "customer " + _currentStop.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

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
