using Convoy.EdgeAgent.Aggregation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests.Aggregation;

/// <summary>The new sections bind from configuration (command line here) the way docs/configuration/edge-agent.md writes them.</summary>
public sealed class AggregationConfigurationTests
{
    private static readonly string[] Simulator = ["--EdgeAgent:DevCertificates=true", "--EdgeAgent:Simulator:Trucks=1"];

    [Fact]
    public void Build_AggregationAndEventSwitches_BindIntoTheOptions()
    {
        using var host = EdgeAgentHost.Build(
        [
            .. Simulator,
            "--EdgeAgent:Aggregation:Gps:Mode=DeadBand",
            "--EdgeAgent:Aggregation:Gps:SpeedingAboveKmh=90",
            "--EdgeAgent:Aggregation:Temperature:Mode=Window",
            "--EdgeAgent:Aggregation:Temperature:ExcursionAbove=8",
            "--EdgeAgent:Aggregation:TemperatureZones:2:Mode=DeadBand",
            "--EdgeAgent:Aggregation:TemperatureZones:2:ExcursionAbove=-15",
            "--EdgeAgent:Aggregation:Fuel:DeadBand=1",
            "--EdgeAgent:Aggregation:CoalesceFor=00:00:30",
            "--EdgeAgent:Simulator:Events:FuelTheftsPerHour=0.05",
            "--EdgeAgent:Simulator:Events:Depots:0:Name=rotterdam",
            "--EdgeAgent:Simulator:Events:Depots:0:Latitude=51.9",
            "--EdgeAgent:Simulator:Events:Depots:0:Longitude=4.4",
        ]);

        var options = host.Services.GetRequiredService<IOptions<EdgeAgentOptions>>().Value;
        var aggregation = options.Aggregation;
        Assert.Equal(AggregationMode.DeadBand, aggregation.Gps.Mode);
        Assert.Equal(90, aggregation.Gps.SpeedingAboveKmh);
        Assert.Equal(AggregationMode.Window, aggregation.ForZone(1).Mode);
        Assert.Equal(8, aggregation.ForZone(1).ExcursionAbove);
        Assert.Equal(AggregationMode.DeadBand, aggregation.ForZone(2).Mode);
        Assert.Equal(-15, aggregation.ForZone(2).ExcursionAbove);
        Assert.Equal(1, aggregation.Fuel.DeadBand);
        Assert.Equal(TimeSpan.FromSeconds(30), aggregation.CoalesceFor);
        Assert.False(aggregation.PassThrough);
        Assert.Equal(0.05, options.Simulator.Events.FuelTheftsPerHour);
        Assert.Equal("rotterdam", Assert.Single(options.Simulator.Events.Depots).Name);
    }

    [Fact]
    public void Build_NoAggregationSwitches_PassesBatchesThrough()
    {
        using var host = EdgeAgentHost.Build(Simulator);

        Assert.True(host.Services.GetRequiredService<IOptions<EdgeAgentOptions>>().Value.Aggregation.PassThrough);
    }

    [Fact]
    public void Build_BadAggregationValue_RefusesNamingTheKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() => EdgeAgentHost.Build([.. Simulator, "--EdgeAgent:Aggregation:Fuel:KeepAfter=-00:01:00"]));

        Assert.Contains("EdgeAgent:Aggregation:Fuel:KeepAfter", e.Message, StringComparison.Ordinal);
    }
}
