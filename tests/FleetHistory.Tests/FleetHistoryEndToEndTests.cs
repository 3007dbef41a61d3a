using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Convoy.Contracts.Fleet.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.FleetHistory.Store;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Metadata = Grpc.Core.Metadata;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// A tenant's data from truck to collector to Kafka to projection to query, through the real
/// programs: the collector (mutual TLS), the embedded Kafka, and the fleet history program, with
/// each store it can be given: DuckDB always, ClickHouse (a database per tenant, the default) where
/// it is installed or required.
/// </summary>
public sealed class FleetHistoryEndToEndTests(ClickHouseFixture clickHouse) : IAsyncLifetime, IClassFixture<ClickHouseFixture>
{
    private static readonly long Start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() / 60_000 * 60_000;
    private readonly TempFolder _folder = new("fleet-e2e");
    private TestPartner _issuer = null!;
    private TestCollector _collector = null!;
    private TestFleetHistory _history = null!;

    /// <summary>The store kinds of <see cref="TestStores"/>, but ClickHouse only with its default isolation: the store tests cover the other.</summary>
    public static TheoryData<string> Stores
    {
        get
        {
            var stores = new TheoryData<string> { TestStores.DuckDb };
            if (ClickHouseTestServer.WhereInstalled.Any())
            {
                stores.Add(TestStores.ClickHouse);
            }

            return stores;
        }
    }

    public async Task InitializeAsync()
    {
        _issuer = new TestPartner(_folder.File("issuer"));
        _collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme", "globex"], AlertTopics = true });
    }

    public async Task DisposeAsync()
    {
        if (_history is not null)
        {
            await _history.DisposeAsync();
        }

        await _collector.DisposeAsync();
        _issuer.Dispose();
        _folder.Dispose();
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ATrucksBatches_AreQueryableAsStateTrackAndRollups(string store)
    {
        await StartAsync(store);
        using var truck = _collector.Device("acme", "truck-1");
        await truck.SendAsync(
            Batch("truck-1", 1, 0).Gps(3, i => 80f, i => (52.0 + (i * 0.001), 4.9), _ => 10f).Temperatures(1, 3f, 4f, 5f),
            Batch("truck-1", 2, 3000).Gps(2, i => 0f, _ => (52.003, 4.9)).Temperatures(1, 6f, 7f));
        var viewer = Viewer("acme");

        var state = await Eventually.ReturnsAsync(
            () => FleetState(viewer), s => s.Devices.Count == 1 && s.Devices[0].LastSeenUnixMs == Start + 4000, Eventually.DefaultTimeout, "truck-1 in acme's fleet state");
        var device = state.Devices[0];
        Assert.Equal("truck-1", device.DeviceId);
        Assert.Equal((52.003, 0f), (device.Position.LatitudeDeg, device.Position.SpeedKmh));
        Assert.Equal((1u, 7f), (device.Temperatures[0].Zone, device.Temperatures[0].TemperatureC));
        var client = _history.Client();
        var track = await client.GetTrackAsync(new GetTrackRequest { DeviceId = "truck-1", FromUnixMs = Start, ToUnixMs = Start + 3_600_000 }, viewer);
        Assert.Equal(5, track.Points.Count);
        var rollups = await client.GetRollupsAsync(new GetRollupsRequest
        {
            DeviceId = "truck-1", Sensor = "temperature", Zone = 1, Resolution = Resolution.Minute, FromUnixMs = Start, ToUnixMs = Start + 3_600_000,
        }, viewer);
        var minute = Assert.Single(rollups.Rollups);
        Assert.Equal((3f, 7f, 5.0, 5ul, 7f), (minute.Min, minute.Max, minute.Mean, minute.Count, minute.Last));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TheSameQuery_WorksAsHttpJson(string store)
    {
        await StartAsync(store);
        using var truck = _collector.Device("acme", "truck-7");
        await truck.SendAsync(Batch("truck-7", 1, 0).Gps(1, _ => 42f));
        using var http = new HttpClient { BaseAddress = _history.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestFleetHistory.Token(_issuer, "acme"));

        using var json = await Eventually.ReturnsAsync(async () => JsonDocument.Parse(await http.GetStringAsync("/v1/fleet/state")),
            d => d.RootElement.TryGetProperty("devices", out var devices) && devices.GetArrayLength() == 1, Eventually.DefaultTimeout, "truck-7 over HTTP/JSON");
        var device = json.RootElement.GetProperty("devices")[0];
        Assert.Equal("truck-7", device.GetProperty("deviceId").GetString());
        Assert.Equal(42.0, device.GetProperty("position").GetProperty("speedKmh").GetDouble());
        using var track = await http.GetAsync($"/v1/devices/truck-7/track?fromUnixMs={Start}&toUnixMs={Start + 60_000}");
        Assert.Equal(HttpStatusCode.OK, track.StatusCode);
        using var refused = await http.GetAsync($"/v1/devices/truck-7/track?fromUnixMs={Start}&toUnixMs={Start}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("not a time range", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AnotherTenantsTruck_IsNotFound_ExactlyAsATruckThatDoesNotExist(string store)
    {
        await StartAsync(store);
        using var truck = _collector.Device("acme", "truck-1");
        await truck.SendAsync(Batch("truck-1", 1, 0).Gps(1, _ => 10f));
        await Eventually.ReturnsAsync(() => FleetState(Viewer("acme")), s => s.Devices.Count == 1, Eventually.DefaultTimeout, "truck-1 projected");
        var client = _history.Client();
        var globex = Viewer("globex");

        var theirs = await Assert.ThrowsAsync<RpcException>(() => client.GetTrackAsync(Track("truck-1"), globex).ResponseAsync);
        var nobodys = await Assert.ThrowsAsync<RpcException>(() => client.GetTrackAsync(Track("truck-x"), globex).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(nobodys.StatusCode, theirs.StatusCode);
        Assert.Equal(nobodys.Status.Detail.Replace("truck-x", "truck-1", StringComparison.Ordinal), theirs.Status.Detail);
        Assert.Empty((await FleetState(globex)).Devices);
        await Refused(StatusCode.NotFound, "device truck-1 not found", client.ListAlertsAsync(new ListAlertsRequest { DeviceId = "truck-1" }, globex).ResponseAsync);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task EveryRefusal_HasAPreciseStatusAndMessage(string store)
    {
        await StartAsync(store);
        var client = _history.Client();
        var viewer = Viewer("acme");

        await Refused(StatusCode.Unauthenticated, "bearer token", client.GetFleetStateAsync(new GetFleetStateRequest()).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "audience", client.GetFleetStateAsync(new GetFleetStateRequest(),
            TestPartner.Bearer(TestPartner.Mint(_issuer.EcSigning, "acme", "viewer", audience: "convoy-collector"))).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "'viewer'", client.GetFleetStateAsync(new GetFleetStateRequest(),
            TestPartner.Bearer(TestFleetHistory.Token(_issuer, "acme", roles: "ingest"))).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "not a time range", client.GetTrackAsync(new GetTrackRequest { DeviceId = "truck-1", FromUnixMs = 10, ToUnixMs = 5 }, viewer).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "longer than 31 days", client.GetTrackAsync(new GetTrackRequest { DeviceId = "truck-1", FromUnixMs = 1, ToUnixMs = 40L * 86_400_000 }, viewer).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "page_size", client.GetFleetStateAsync(new GetFleetStateRequest { PageSize = 10_001 }, viewer).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "page_token", client.GetFleetStateAsync(new GetFleetStateRequest { PageToken = "bm90LW91cnM" }, viewer).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "sensor", client.GetRollupsAsync(new GetRollupsRequest
        {
            DeviceId = "truck-1", Sensor = "warp-core", Resolution = Resolution.Minute, FromUnixMs = 1, ToUnixMs = 2,
        }, viewer).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "not a device id", client.GetTrackAsync(new GetTrackRequest { DeviceId = "../acme", FromUnixMs = 1, ToUnixMs = 2 }, viewer).ResponseAsync);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AReplayedRecord_ChangesNothing_AndARestartResumesWithoutLossOrDuplicates(string store)
    {
        await StartAsync(store);
        var batch = Batch("truck-3", 1, 0).Temperatures(2, 1f, 2f).Build();
        Produce("acme", batch);
        Produce("acme", batch); // the collector wrote it again (a replay after its restart)
        var viewer = Viewer("acme");
        await Eventually.ReturnsAsync(() => FleetState(viewer), s => s.Devices.Count == 1, Eventually.DefaultTimeout, "truck-3 projected");

        await _history.RestartAsync();
        Produce("acme", Batch("truck-3", 2, 60_000).Temperatures(2, 3f).Build());
        Produce("acme", batch);

        var rollups = await Eventually.ReturnsAsync(
            () => _history.Client().GetRollupsAsync(new GetRollupsRequest
            {
                DeviceId = "truck-3", Sensor = "temperature", Zone = 2, Resolution = Resolution.Hour, FromUnixMs = Start - 3_600_000, ToUnixMs = Start + 7_200_000,
            }, Viewer("acme")).ResponseAsync,
            r => r.Rollups.Sum(b => (long)b.Count) >= 3, Eventually.DefaultTimeout, "the second batch projected after the restart");
        Assert.Equal(3ul, (ulong)rollups.Rollups.Sum(b => (long)b.Count));
        Assert.Equal(3f, rollups.Rollups.Max(b => b.Max));
    }

    /// <summary>Starts the fleet history program on the test's Kafka with that store (ClickHouse: the class's server, a database prefix of the test's own).</summary>
    private async Task StartAsync(string store)
    {
        string[] switches = store == TestStores.ClickHouse
            ?
            [
                "--FleetHistory:Store=ClickHouse", $"--FleetHistory:ClickHouse:Url={await clickHouse.EndpointAsync()}",
                $"--FleetHistory:ClickHouse:Database={ClickHouseFixture.NewDatabase()}",
            ]
            : [];
        _history = await TestFleetHistory.StartAsync(_collector.Kafka, _issuer, null, switches);
        Assert.Equal(store == TestStores.ClickHouse ? "clickhouse" : "duckdb", _history.App.Services.GetRequiredService<IFleetStore>().Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AnAnalyst_GetsTheDailyColdChainReport_AsMessagesAndAsCsv_AndAViewerDoesNot(string store)
    {
        await StartAsync(store);
        using var truck = _collector.Device("acme", "trailer-5");
        // Zone 1 at 4 degC for a minute, then 10 degC for two (an excursion above 8).
        await truck.SendAsync(Batch("trailer-5", 1, 0).Every(TimeSpan.FromSeconds(20)).Temperatures(1, 9, i => i < 3 ? 4f : 10f).Gps(9, _ => 0f));
        await Eventually.ReturnsAsync(() => FleetState(Viewer("acme")), s => s.Devices.Count == 1, Eventually.DefaultTimeout, "trailer-5 projected");
        long day = Start / 86_400_000 * 86_400_000;
        var request = new GetDailyReportRequest { FromUnixMs = day, ToUnixMs = day + 86_400_000, ZoneRanges = { "1:2:8" } };
        var analyst = TestPartner.Bearer(TestFleetHistory.Token(_issuer, "acme", roles: "analyst"));

        var report = await _history.Client().GetDailyReportAsync(request, analyst);

        var zone = Assert.Single(Assert.Single(report.Days).Zones);
        Assert.Equal((180_000L, 1u, 120_000L, 10f), (zone.CoveredMs, zone.Excursions, zone.LongestExcursionMs, zone.WorstC));
        Assert.Equal(1 / 3.0, zone.InRangeShare, 6);
        await Refused(StatusCode.PermissionDenied, "'analyst'", _history.Client().GetDailyReportAsync(request, Viewer("acme")).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "midnight UTC", _history.Client().GetDailyReportAsync(new GetDailyReportRequest { FromUnixMs = day + 1, ToUnixMs = day + 86_400_000 }, analyst).ResponseAsync);
        using var http = new HttpClient { BaseAddress = _history.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestFleetHistory.Token(_issuer, "acme", roles: "analyst"));
        using var csv = await http.GetAsync($"/v1/reports/daily.csv?fromUnixMs={day}&toUnixMs={day + 86_400_000}&zoneRanges=1:2:8");
        string text = await csv.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("device_id,day,", text, StringComparison.Ordinal);
        Assert.Contains($"trailer-5,{DateTimeOffset.FromUnixTimeMilliseconds(day):yyyy-MM-dd},", text, StringComparison.Ordinal);
        Assert.EndsWith(",1,2,8,3,33.33,1,2,10\n", text, StringComparison.Ordinal);
        await Refused(StatusCode.InvalidArgument, "<zone>:<min_c>:<max_c>", _history.Client().GetDailyReportAsync(new GetDailyReportRequest
        {
            FromUnixMs = day, ToUnixMs = day + 86_400_000, ZoneRanges = { "1:warm" },
        }, analyst).ResponseAsync);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AnAdmin_SetsTheTenantsRetention_AndOnlyAnAdmin(string store)
    {
        await StartAsync(store);
        var client = _history.Client();
        var admin = TestPartner.Bearer(TestFleetHistory.Token(_issuer, "acme", roles: "admin"));

        var defaults = await client.GetRetentionAsync(new GetRetentionRequest(), Viewer("acme"));
        var set = await client.SetRetentionAsync(new Retention { PositionsDays = 30, AlertsDays = 400 }, admin);

        Assert.Equal((90, 730, 365), (defaults.PositionsDays, defaults.RollupsDays, defaults.AlertsDays));
        Assert.Equal((30, 730, 400), (set.PositionsDays, set.RollupsDays, set.AlertsDays));
        Assert.Equal(90, (await client.GetRetentionAsync(new GetRetentionRequest(), Viewer("globex"))).PositionsDays);
        await Refused(StatusCode.PermissionDenied, "'admin'", client.SetRetentionAsync(new Retention { PositionsDays = 1 }, TestPartner.Bearer(TestFleetHistory.Token(_issuer, "acme", roles: "analyst"))).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "positions_days -1", client.SetRetentionAsync(new Retention { PositionsDays = -1 }, admin).ResponseAsync);
    }

    private static BatchBuilder Batch(string device, ulong sequence, long offsetMs) => BatchBuilder.For(device, sequence).StartingAt(Start + offsetMs);

    private Metadata Viewer(string tenant) => TestPartner.Bearer(TestFleetHistory.Token(_issuer, tenant));

    private Task<GetFleetStateResponse> FleetState(Metadata token) => _history.Client().GetFleetStateAsync(new GetFleetStateRequest(), token).ResponseAsync;

    private static GetTrackRequest Track(string device) => new() { DeviceId = device, FromUnixMs = Start, ToUnixMs = Start + 60_000 };

    private static async Task Refused(StatusCode status, string says, Task call)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(status, refused.StatusCode);
        Assert.Contains(says, refused.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Writes a batch to the tenant's topic as the collector does, headers and all.</summary>
    private void Produce(string tenant, TelemetryBatch batch) => KafkaTopics.WriteTelemetry(_collector.Kafka.BootstrapServers, tenant, [batch]);
}
