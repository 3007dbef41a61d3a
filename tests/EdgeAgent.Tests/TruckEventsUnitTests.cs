using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Simulation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests;

/// <summary>The simulator's believable events: each happens, is logged when it starts, and shows in the readings.</summary>
public sealed class TruckEventsUnitTests
{
    private const long Start = 1_700_000_000_000;

    [Fact]
    public void Fill_EventsOn_EveryKindHappensIsLoggedAndShowsInTheReadings()
    {
        var log = new TestLogs();
        var options = new SimulatorOptions { Trucks = 1, Seed = 3 };
        options.Events.DoorOpeningsPerHour = 2;
        options.Events.FuelTheftsPerHour = 1;
        options.Events.SpeedingPerHour = 2;
        options.Events.GpsLossesPerHour = 1;
        options.Validated();
        var truck = new Truck("truck-001", 0, options, Start, log);

        var batches = Day(truck, hours: 24);

        foreach (string name in new[] { "SimulatedDepotEntered", "SimulatedDepotLeft", "SimulatedRefuelled", "SimulatedFuelTheft", "SimulatedDoorOpened", "SimulatedSpeeding", "SimulatedGpsFixLost" })
        {
            Assert.True(log.Count(name) >= 1, $"{name} was never logged");
        }

        // The readings stay within the contract, and the events show in them.
        var fuel = batches.SelectMany(b => b.Fuel.LevelPercent).ToArray();
        var speeds = batches.Where(b => b.Gps is not null).SelectMany(b => b.Gps.SpeedKmh).ToArray();
        var chilled = batches.SelectMany(b => b.Temperatures[0].TemperatureC).ToArray();
        Assert.All(fuel, v => Assert.InRange(v, 0f, 100f));
        Assert.All(speeds, v => Assert.InRange(v, 0f, 400f));
        Assert.All(batches.Where(b => b.Gps is not null).SelectMany(b => b.Gps.HeadingDeg), v => Assert.InRange(v, 0f, 359.999f));
        Assert.Contains(speeds, v => v > 100); // speeding
        Assert.Contains(chilled, v => v > 4); // a door left open warms the chilled zone...
        Assert.True(chilled[^1] < 3.5f, $"...and it recovers (ended at {chilled[^1]} degC)");
        Assert.Contains(Enumerable.Range(1, fuel.Length - 1), i => fuel[i - 1] - fuel[i] >= 15); // a theft: a sudden drop
        Assert.Contains(Enumerable.Range(1, fuel.Length - 1), i => fuel[i] - fuel[i - 1] >= 10); // refuelling: a jump up
        int fixes = batches.Sum(b => b.Gps?.OffsetMs.Count ?? 0);
        Assert.True(fixes < fuel.Length, $"a lost fix means fewer GPS fixes ({fixes}) than fuel readings ({fuel.Length})");
    }

    [Fact]
    public void Fill_FuelTheft_HappensOnlyWhileParkedAtACustomer()
    {
        var log = new TestLogs();
        var options = new SimulatorOptions { Trucks = 1, Seed = 5 };
        options.Events.FuelTheftsPerHour = 3;
        var truck = new Truck("truck-001", 0, options, Start, log);

        var batches = Day(truck, hours: 12);

        Assert.True(log.Count("SimulatedFuelTheft") >= 1);
        foreach (var batch in batches)
        {
            var level = batch.Fuel.LevelPercent;
            for (int i = 1; i < level.Count; i++)
            {
                if (level[i - 1] - level[i] >= 15)
                {
                    Assert.Equal(0f, batch.Gps.SpeedKmh[i]); // parked
                }
            }
        }
    }

    [Fact]
    public void Fill_SameSeedWithEvents_SameReadings()
    {
        var options = new SimulatorOptions { Trucks = 1, Seed = 9 };
        options.Events.DoorOpeningsPerHour = 4;
        options.Events.GpsLossesPerHour = 4;

        var one = Day(new Truck("truck-001", 0, options, Start), hours: 3);
        var two = Day(new Truck("truck-001", 0, options, Start), hours: 3);

        Assert.Equal(one, two);
    }

    [Theory]
    [InlineData("DoorOpeningsPerHour", "EdgeAgent:Simulator:Events:DoorOpeningsPerHour")]
    [InlineData("GpsLossFor", "EdgeAgent:Simulator:Events:GpsLossFor")]
    [InlineData("Depots", "EdgeAgent:Simulator:Events:Depots:0")]
    public void Validate_NamesTheBadKey(string property, string key)
    {
        var options = new SimulatorOptions { Trucks = 1 };
        switch (property)
        {
            case "DoorOpeningsPerHour":
                options.Events.DoorOpeningsPerHour = -1;
                break;
            case "GpsLossFor":
                options.Events.GpsLossFor = TimeSpan.Zero;
                break;
            default:
                options.Events.Depots.Add(new DepotOptions { Name = "", Latitude = 52, Longitude = 4 });
                break;
        }

        var e = Assert.Throws<OptionsValidationException>(() => options.Validated());
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static List<TelemetryBatch> Day(Truck truck, int hours)
    {
        var batches = new List<TelemetryBatch>();
        for (int minute = 0; minute < hours * 60; minute++)
        {
            var batch = new TelemetryBatch();
            truck.Fill(batch, Start + (minute * 60_000L), 60_000, 1_000);
            batches.Add(batch);
        }

        return batches;
    }
}
