using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.Kafka.Embedded;
using Grpc.Core;
using Metadata = Grpc.Core.Metadata;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// GetRules and device tags through the real program: the tenant's rules as the alert engine reads
/// them from the shared rules folder (followed on disk), the engine's defaults for a tenant without
/// a file, a broken edit reported with its errors while the previous rules stay, and fleet state
/// filtered by the file's device tags.
/// </summary>
public sealed class FleetRulesTests : IAsyncLifetime
{
    private static readonly long Start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() / 60_000 * 60_000;
    private readonly TempFolder _folder = new("fleet-rules");
    private readonly TempFolder _rules = new("rules");
    private EmbeddedKafkaCluster _kafka = null!;
    private TestPartner _issuer = null!;
    private TestFleetHistory _history = null!;

    public async Task InitializeAsync()
    {
        _kafka = EmbeddedKafkaCluster.Start();
        _issuer = new TestPartner(_folder.File("issuer"));
        File.Copy(Repository.PathOf("rules", "acme.yaml"), _rules.File("acme.yaml"));
        _history = await TestFleetHistory.StartAsync(_kafka, _issuer, null,
            $"--FleetHistory:RulesFolder={_rules.Path}", "--AlertEngine:TemperatureRules:0:Id=cold-chain", "--AlertEngine:TemperatureRules:0:AboveC=5");
    }

    public async Task DisposeAsync()
    {
        await _history.DisposeAsync();
        _issuer.Dispose();
        _kafka.Dispose();
        _rules.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task ATenantWithARuleFile_GetsItsRulesAsTheEngineRunsThem_WithItsDeviceTags()
    {
        var rules = await _history.Client().GetRulesAsync(new GetRulesRequest(), Viewer("acme"));

        Assert.Equal("file", rules.Source);
        Assert.Empty(rules.Errors);
        Assert.Equal(
            ["reefer-warm", "cargo-humidity", "over-speed", "depot-rotterdam", "eu-only", "customer-dwell", "fuel-theft", "reefer-rising", "gone-silent"],
            rules.Rules.Select(r => r.Id));
        var warm = rules.Rules[0];
        Assert.Equal(("level", Severity.Critical, "reefer.temperature_c", 1u, 8.0, false), (warm.Kind, warm.Severity, warm.Signal, warm.Zone, warm.Above, warm.HasBelow));
        Assert.Equal("zone 1 above 8 degC for 5 min; resolves at or below 7.5 degC for 2 min", warm.Description);
        Assert.Equal(["reefer"], warm.Tags);
        Assert.Empty(warm.Devices);
        var humidity = rules.Rules.Single(r => r.Id == "cargo-humidity");
        Assert.Equal(("humidity_percent", 95.0, 60.0), (humidity.Signal, humidity.Above, humidity.Below));
        var depot = rules.Rules.Single(r => r.Id == "depot-rotterdam");
        Assert.Equal(("geofence", true, 51.95, 4.14, 800.0), (depot.Kind, depot.Geofence.AlertInside, depot.Geofence.CentreLatitudeDeg, depot.Geofence.CentreLongitudeDeg, depot.Geofence.RadiusM));
        var euOnly = rules.Rules.Single(r => r.Id == "eu-only").Geofence;
        Assert.False(euOnly.AlertInside);
        Assert.Equal([(36.0, -10.0), (71.0, -10.0), (71.0, 32.0), (36.0, 32.0)], euOnly.Polygon.Select(v => (v.LatitudeDeg, v.LongitudeDeg)));
        Assert.Equal(("silent", ""), (rules.Rules[^1].Kind, rules.Rules[^1].Signal));
        Assert.Equal(
            [("truck-1", "reefer north"), ("truck-2", "reefer"), ("truck-3", "tanker")],
            rules.Devices.Select(d => (d.DeviceId, string.Join(' ', d.Tags))));
    }

    [Fact]
    public async Task ATenantWithoutARuleFile_GetsTheEnginesDefaults_AsConfigured()
    {
        var rules = await _history.Client().GetRulesAsync(new GetRulesRequest(), Viewer("globex"));

        Assert.Equal("defaults", rules.Source);
        var rule = Assert.Single(rules.Rules);
        Assert.Equal(("cold-chain", "temperature", 5.0, 0u), (rule.Id, rule.Kind, rule.Above, rule.Zone));
        Assert.Equal("any reefer zone above 5 degC for 5 min; resolves at or below 4.5 degC for 2 min", rule.Description);
        Assert.Empty(rules.Devices);
        Assert.Empty(rules.Errors);
    }

    [Fact]
    public async Task ABrokenEdit_IsReportedWithItsErrors_WhileThePreviousRulesStay_AndAFixIsFollowed()
    {
        _history.Logs.ExpectErrors("RulesRejected");
        string good = await File.ReadAllTextAsync(_rules.File("acme.yaml"));
        await Replace("acme.yaml", good.Replace("durationMinutes: 5", "durationMinutes: -5", StringComparison.Ordinal));

        var broken = await Eventually.ReturnsAsync(() => _history.Client().GetRulesAsync(new GetRulesRequest(), Viewer("acme")).ResponseAsync,
            r => r.Errors.Count > 0, Eventually.DefaultTimeout, "the broken file's errors");

        Assert.EndsWith("acme.yaml: rule 'reefer-warm': durationMinutes must be >= 0 and at most a week (10080), was -5", Assert.Single(broken.Errors), StringComparison.Ordinal);
        Assert.Equal(("file", 9), (broken.Source, broken.Rules.Count));
        Assert.Equal("zone 1 above 8 degC for 5 min; resolves at or below 7.5 degC for 2 min", broken.Rules[0].Description);

        await Replace("acme.yaml", good.Replace("above: 8", "above: 9", StringComparison.Ordinal));
        var fixedRules = await Eventually.ReturnsAsync(() => _history.Client().GetRulesAsync(new GetRulesRequest(), Viewer("acme")).ResponseAsync,
            r => r.Errors.Count == 0 && r.Rules[0].Above == 9, Eventually.DefaultTimeout, "the fixed file");
        Assert.Equal("zone 1 above 9 degC for 5 min; resolves at or below 7.5 degC for 2 min", fixedRules.Rules[0].Description);
    }

    [Fact]
    public async Task FleetState_FilteredByTags_HoldsTheDevicesCarryingEveryTag_EachWithItsTags()
    {
        KafkaTopics.WriteTelemetry(_kafka.BootstrapServers, "acme",
            [.. new[] { "truck-1", "truck-2", "truck-3", "truck-4" }.Select(d => BatchBuilder.For(d, 1).StartingAt(Start).Gps(1, _ => 50f).Build())]);
        var client = _history.Client();
        var viewer = Viewer("acme");
        var all = await Eventually.ReturnsAsync(() => client.GetFleetStateAsync(new GetFleetStateRequest(), viewer).ResponseAsync,
            s => s.Devices.Count == 4, Eventually.DefaultTimeout, "acme's four trucks projected");

        var reefers = await client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "reefer" } }, viewer);
        var north = await client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "reefer", "north" } }, viewer);
        var named = await client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "reefer" }, DeviceIds = { "truck-2", "truck-3" } }, viewer);
        var nobody = await client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "tanker", "north" } }, viewer);

        Assert.Equal([("truck-1", "reefer north"), ("truck-2", "reefer"), ("truck-3", "tanker"), ("truck-4", "")], all.Devices.Select(d => (d.DeviceId, string.Join(' ', d.Tags))));
        Assert.Equal(["truck-1", "truck-2"], reefers.Devices.Select(d => d.DeviceId));
        Assert.Equal(["truck-1"], north.Devices.Select(d => d.DeviceId));
        Assert.Equal(["truck-2"], named.Devices.Select(d => d.DeviceId));
        Assert.Empty(nobody.Devices);
        Assert.Empty((await client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "reefer" } }, Viewer("globex"))).Devices);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.GetFleetStateAsync(new GetFleetStateRequest { Tags = { "cold chain" } }, viewer).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("tag 'cold chain' is not a tag", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRules_NeedsABearerToken()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => _history.Client().GetRulesAsync(new GetRulesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    private Metadata Viewer(string tenant) => TestPartner.Bearer(TestFleetHistory.Token(_issuer, tenant));

    /// <summary>Writes then renames, as a deployment does: the follower never sees half a file.</summary>
    private async Task Replace(string name, string text)
    {
        string temp = _rules.File("." + name + ".tmp");
        await File.WriteAllTextAsync(temp, text);
        File.Move(temp, _rules.File(name), overwrite: true);
    }
}
