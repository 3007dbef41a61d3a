using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>
/// Configuration section <c>EdgeAgent:Simulator</c>: believable trucks of one tenant, each a
/// device with its own certificate, driving a loop around a depot with a two-zone reefer and a
/// fuel tank. Time can run faster than real time, so a demo shows an hour's events in a minute.
/// </summary>
public sealed class SimulatorOptions : IValidatableObject
{
    /// <summary>Tenant the simulated trucks belong to.</summary>
    public string Tenant { get; set; } = "acme";

    /// <summary>Number of trucks (devices), 0..10000. Their ids are <c>&lt;DevicePrefix&gt;-001</c>...</summary>
    [SettingRange("EdgeAgent:Simulator:Trucks", 0, 10000)]
    public int Trucks { get; set; }

    public string DevicePrefix { get; set; } = "truck";

    /// <summary>Simulated seconds per real second, 1..3600.</summary>
    [SettingRange("EdgeAgent:Simulator:TimeScale", 1, 3600)]
    public double TimeScale { get; set; } = 1;

    /// <summary>
    /// How far in the past simulated time starts. With <see cref="TimeScale"/> above 1 the trucks
    /// catch up with real time and then run in real time; readings never lie in the future.
    /// </summary>
    [SettingRange("EdgeAgent:Simulator:StartInPast", "00:00:00", "30.00:00:00", Reason = "must be 0..30 days")]
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
    [SettingRange("EdgeAgent:Simulator:ReeferRepairAfter", "00:00:00", "10675199.02:48:05.4775807", Reason = "must not be negative")]
    public TimeSpan ReeferRepairAfter { get; set; } = TimeSpan.Zero;

    /// <summary>Seed of the random noise, so a run can be repeated.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Centre of the depot the routes loop around (WGS 84 degrees).</summary>
    public double DepotLatitude { get; set; } = 52.37;

    public double DepotLongitude { get; set; } = 4.90;

    /// <summary>Door openings, fuel thefts, speeding, GPS loss, depots (section <c>EdgeAgent:Simulator:Events</c>).</summary>
    [ValidateObjectMembers]
    public SimulatorEventOptions Events { get; } = new();

    /// <summary>The rules that span settings (the simple ones are attributes).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Pki.DeviceIdentity.IsValidTenant(Tenant))
        {
            yield return Invalid("Tenant", $"must be 1..63 characters of [a-z0-9-], was '{Tenant}'");
        }

        if (!Pki.DeviceIdentity.IsValidDevice(DevicePrefix + "-00001"))
        {
            yield return Invalid("DevicePrefix", $"must make valid device ids ([A-Za-z0-9._-], up to 58 characters), was '{DevicePrefix}'");
        }

        if (SampleInterval < TimeSpan.FromMilliseconds(100) || BatchSpan < SampleInterval || BatchSpan > TimeSpan.FromHours(1))
        {
            yield return Invalid("BatchSpan", $"must be at least SampleInterval (>= 100 ms) and at most 1 hour, was {BatchSpan} with SampleInterval {SampleInterval}");
        }

        if (ReeferFailures < 0 || ReeferFailures > Trucks)
        {
            yield return Invalid("ReeferFailures", $"must be 0..Trucks ({Trucks}), was {ReeferFailures}");
        }

        if (DepotLatitude is < -80 or > 80 || DepotLongitude is < -179 or > 179)
        {
            yield return Invalid("DepotLatitude", "and DepotLongitude must lie within [-80, 80] and [-179, 179]");
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration 'EdgeAgent:Simulator:{key}' {reason}.");
}

/// <summary>The simulator section on its own (tests of simulated trucks); in the agent it is checked as part of <see cref="EdgeAgentOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>;
