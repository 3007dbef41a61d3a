namespace Convoy.EdgeAgent.Simulation;

/// <summary>
/// Configuration section <c>EdgeAgent:Simulator</c>: believable trucks of one tenant, each a
/// device with its own certificate, driving a loop around a depot with a two-zone reefer and a
/// fuel tank. Time can run faster than real time, so a demo shows an hour's events in a minute.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>Tenant the simulated trucks belong to.</summary>
    public string Tenant { get; set; } = "acme";

    /// <summary>Number of trucks (devices), 0..10000. Their ids are <c>&lt;DevicePrefix&gt;-001</c>...</summary>
    public int Trucks { get; set; }

    public string DevicePrefix { get; set; } = "truck";

    /// <summary>Simulated seconds per real second, 1..3600.</summary>
    public double TimeScale { get; set; } = 1;

    /// <summary>
    /// How far in the past simulated time starts. With <see cref="TimeScale"/> above 1 the trucks
    /// catch up with real time and then run in real time; readings never lie in the future.
    /// </summary>
    public TimeSpan StartInPast { get; set; } = TimeSpan.Zero;

    /// <summary>Simulated time one batch covers.</summary>
    public TimeSpan BatchSpan { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Simulated time between two readings of a sensor.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many trucks (the first ones) suffer a reefer compressor failure.</summary>
    public int ReeferFailures { get; set; }

    /// <summary>Simulated time after the start at which those compressors fail.</summary>
    public TimeSpan ReeferFailureAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long after failing a compressor is repaired (the zone cools back down); 0 = never.</summary>
    public TimeSpan ReeferRepairAfter { get; set; } = TimeSpan.Zero;

    /// <summary>Seed of the random noise, so a run can be repeated.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Centre of the depot the routes loop around (WGS 84 degrees).</summary>
    public double DepotLatitude { get; set; } = 52.37;

    public double DepotLongitude { get; set; } = 4.90;

    /// <summary>Door openings, fuel thefts, speeding, GPS loss, depots (section <c>EdgeAgent:Simulator:Events</c>).</summary>
    public SimulatorEventOptions Events { get; } = new();

    public void Validate()
    {
        static void Fail(string key, string reason) => throw Invalid($"EdgeAgent:Simulator:{key}", reason);
        if (!Pki.DeviceIdentity.IsValidTenant(Tenant))
        {
            Fail("Tenant", $"must be 1..63 characters of [a-z0-9-], was '{Tenant}'");
        }

        if (Trucks is < 0 or > 10000)
        {
            Fail("Trucks", $"must be 0..10000, was {Trucks}");
        }

        if (!Pki.DeviceIdentity.IsValidDevice(DevicePrefix + "-00001"))
        {
            Fail("DevicePrefix", $"must make valid device ids ([A-Za-z0-9._-], up to 58 characters), was '{DevicePrefix}'");
        }

        if (TimeScale is < 1 or > 3600 || double.IsNaN(TimeScale))
        {
            Fail("TimeScale", $"must be 1..3600, was {TimeScale}");
        }

        if (StartInPast < TimeSpan.Zero || StartInPast > TimeSpan.FromDays(30))
        {
            Fail("StartInPast", $"must be 0..30 days, was {StartInPast}");
        }

        if (SampleInterval < TimeSpan.FromMilliseconds(100) || BatchSpan < SampleInterval || BatchSpan > TimeSpan.FromHours(1))
        {
            Fail("BatchSpan", $"must be at least SampleInterval (>= 100 ms) and at most 1 hour, was {BatchSpan} with SampleInterval {SampleInterval}");
        }

        if (ReeferFailures < 0 || ReeferFailures > Trucks)
        {
            Fail("ReeferFailures", $"must be 0..Trucks ({Trucks}), was {ReeferFailures}");
        }

        if (ReeferRepairAfter < TimeSpan.Zero)
        {
            Fail("ReeferRepairAfter", $"must not be negative, was {ReeferRepairAfter}");
        }

        if (DepotLatitude is < -80 or > 80 || DepotLongitude is < -179 or > 179)
        {
            Fail("DepotLatitude", "and DepotLongitude must lie within [-80, 80] and [-179, 179]");
        }

        Events.Validate();
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(SimulatorOptions), [$"Configuration '{key}' {reason}."]);
}
