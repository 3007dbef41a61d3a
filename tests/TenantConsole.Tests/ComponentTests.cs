using System.Globalization;
using Bunit;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.TenantConsole.Components;
using Convoy.TenantConsole.Components.Charts;
using Convoy.TenantConsole.Components.Map;

namespace Convoy.TenantConsole.Tests;

/// <summary>The console's own components, rendered by bUnit: the map, the chart, and what the pages read from the rules.</summary>
public sealed class ComponentTests : IDisposable
{
    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly BunitContext _context = new();

    [Fact]
    public void TheMap_DrawsEachTruckWithItsStatusColour_AndTheGeofences()
    {
        var quiet = Device("truck-ok", 51.90, 4.40, Now - 5_000);
        var warm = Device("truck-warm", 51.95, 4.50, Now - 5_000);
        warm.FiringAlerts.Add(new Alert { AlertId = new string('a', 32), DeviceId = "truck-warm", RuleId = "reefer-too-warm", Severity = Severity.Critical, State = AlertState.Firing });
        var silent = Device("truck-silent", 51.80, 4.30, Now - 3_600_000);
        var depot = new RuleView { Id = "depot-rotterdam", Kind = "geofence", Geofence = new Geofence { AlertInside = true, CentreLatitudeDeg = 51.9, CentreLongitudeDeg = 4.45, RadiusM = 800 } };
        var corridor = new RuleView { Id = "corridor", Kind = "geofence", Geofence = new Geofence { Polygon = { V(51.7, 4.2), V(52.0, 4.2), V(52.0, 4.6) } } };

        var map = _context.Render<FleetMap>(p => p.Add(m => m.Devices, [quiet, warm, silent]).Add(m => m.Rules, [depot, corridor]));

        var trucks = map.FindAll("[data-testid=truck-marker]");
        Assert.Equal(3, trucks.Count);
        Assert.Equal(["ok", "critical", "silent"], trucks.Select(static t => t.GetAttribute("data-status")));
        Assert.Contains(FleetStatus.Colour(TruckStatus.Critical), trucks[1].InnerHtml, StringComparison.Ordinal);
        Assert.Single(map.FindAll("circle.fence-inside"));
        Assert.Single(map.FindAll("polygon.fence"));
        // Every truck is inside the drawing.
        foreach (var truck in trucks)
        {
            string[] xy = truck.GetAttribute("transform")!["translate(".Length..^1].Split(' ');
            Assert.InRange(double.Parse(xy[0], CultureInfo.InvariantCulture), 0, 800);
            Assert.InRange(double.Parse(xy[1], CultureInfo.InvariantCulture), 0, 520);
        }

        Assert.Empty(map.FindAll("image"));
    }

    [Fact]
    public void TheMap_WithATileServer_DrawsItsTilesUnderTheTrucks()
    {
        var map = _context.Render<FleetMap>(p => p.Add(m => m.Devices, [Device("t", 51.9, 4.4, Now)]).Add(m => m.TileUrl, "https://tiles.example/{z}/{x}/{y}.png"));

        var tiles = map.FindAll("image");
        Assert.NotEmpty(tiles);
        Assert.All(tiles, t => Assert.Matches(@"^https://tiles\.example/\d+/\d+/\d+\.png$", t.GetAttribute("href")));
        Assert.Empty(map.FindAll("line.graticule"));
    }

    [Fact]
    public void TheMap_ReplaysATrack_WithAMarkerAtTheChosenPoint()
    {
        TrackPoint[] track = [Point(0, 51.90, 4.40), Point(60_000, 51.91, 4.42), Point(120_000, 51.92, 4.44)];
        var map = _context.Render<FleetMap>(p => p.Add(m => m.Track, track).Add(m => m.Marker, track[1]));

        Assert.Equal(3, map.Find("[data-testid=track-line]").GetAttribute("points")!.Split(' ').Length);
        Assert.Single(map.FindAll("[data-testid=replay-marker]"));
    }

    [Fact]
    public void TheChart_DrawsThresholdsExcursionsAndMarks_AndSaysSoToAScreenReader()
    {
        ChartPoint[] points = [new(Now - 120_000, 4, 3, 5), new(Now - 60_000, 9.5, 9, 10)];
        var chart = _context.Render<TimeChart>(p => p
            .Add(c => c.From, Now - 180_000).Add(c => c.To, Now)
            .Add(c => c.Title, "Zone 1 temperature").Add(c => c.Unit, "°C")
            .Add(c => c.Series, [new ChartSeries("zone 1", "#0d47a1", points)])
            .Add(c => c.Thresholds, [new ChartThreshold(8, "above 8 °C")])
            .Add(c => c.Excursions, [new ChartSpan(Now - 60_000, Now)])
            .Add(c => c.Marks, [new ChartMark(Now - 30_000, "refuel", "mark-refuel")]));

        Assert.Single(chart.FindAll("[data-testid=threshold]"));
        Assert.Single(chart.FindAll("[data-testid=excursion]"));
        Assert.Single(chart.FindAll("[data-testid=chart-mark]"));
        Assert.Equal(2, chart.Find("[data-testid=series]").GetAttribute("points")!.Split(' ').Length);
        Assert.Equal("Zone 1 temperature in °C, 2 points, 1 excursion(s), 1 marked event(s)", chart.Find("svg").GetAttribute("aria-label"));
    }

    [Fact]
    public void TheChart_WithoutReadings_SaysSo()
    {
        var chart = _context.Render<TimeChart>(p => p.Add(c => c.From, Now - 60_000).Add(c => c.To, Now).Add(c => c.Title, "Fuel level"));
        Assert.Contains("No readings in this time range", chart.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRules_GiveEachZonesRange_AndOnlyTheRulesOfATrucksTags()
    {
        RuleView[] rules =
        [
            new() { Id = "chilled-warm", Kind = "temperature", Zone = 1, Above = 8, Tags = { "chilled" } },
            new() { Id = "chilled-cold", Kind = "temperature", Zone = 1, Below = 2, Tags = { "chilled" } },
            new() { Id = "frozen", Kind = "temperature", Zone = 2, Above = -15, Devices = { "truck-9" } },
            new() { Id = "speeding", Kind = "speed", Above = 90 },
        ];

        Assert.Equal(["1:2:8", "2:-40:-15"], RuleLookup.ZoneRanges(rules));
        Assert.Equal(["chilled-warm", "chilled-cold", "speeding"], RuleLookup.For(rules, "truck-1", ["chilled"]).Select(static r => r.Id));
        Assert.Equal(["frozen", "speeding"], RuleLookup.For(rules, "truck-9", []).Select(static r => r.Id));
    }

    private static DeviceState Device(string id, double latitude, double longitude, long lastSeen) =>
        new() { DeviceId = id, LastSeenUnixMs = lastSeen, Position = new TrackPoint { LatitudeDeg = latitude, LongitudeDeg = longitude, TimeUnixMs = lastSeen, HeadingDeg = 90 } };

    private static TrackPoint Point(long offset, double latitude, double longitude) =>
        new() { TimeUnixMs = Now + offset, LatitudeDeg = latitude, LongitudeDeg = longitude };

    private static GeoVertex V(double latitude, double longitude) => new() { LatitudeDeg = latitude, LongitudeDeg = longitude };

    public void Dispose() => _context.Dispose();
}
