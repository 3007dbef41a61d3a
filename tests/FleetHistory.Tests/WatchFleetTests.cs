using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// WatchFleet through the real program and an embedded Kafka: a snapshot first, then each flush's
/// changes of the caller's tenant only (filtered by devices and tags); a watcher that falls behind
/// is cut off, and a watch ends when its token expires.
/// </summary>
public sealed class WatchFleetTests() : ReadSideTest("fleet-watch")
{
    private static readonly long Start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() / 60_000 * 60_000;
    private static readonly TimeSpan FewSeconds = TimeSpan.FromSeconds(15);
    private readonly TempFolder _rules = AcmeRules();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _rules.Dispose();
    }

    protected override string[] Switches() => [$"--FleetHistory:RulesFolder={_rules.Path}", "--FleetHistory:WatchBacklog=2"];

    [Fact]
    public async Task ABatchWrittenToKafka_AppearsOnAnOpenWatch_AndAnotherTenantsWatchNeverSeesIt()
    {
        await ProjectedAsync("acme", "truck-1", 1);
        await ProjectedAsync("globex", "van-1", 1);
        using var acme = History.Client().WatchFleet(new WatchFleetRequest(), Caller("acme"));
        using var globex = History.Client().WatchFleet(new WatchFleetRequest(), Caller("globex"));
        using var north = History.Client().WatchFleet(new WatchFleetRequest { Tags = { "north" } }, Caller("acme"));

        var snapshot = await NextAsync(acme);
        Assert.True(snapshot.Snapshot);
        Assert.Equal([("truck-1", "reefer north")], snapshot.Devices.Select(d => (d.DeviceId, string.Join(' ', d.Tags))));
        Assert.Empty(snapshot.Alerts);
        Assert.Equal(["van-1"], (await NextAsync(globex)).Devices.Select(d => d.DeviceId));
        Assert.Equal(["truck-1"], (await NextAsync(north)).Devices.Select(d => d.DeviceId));

        Write("acme", BatchBuilder.For("truck-2", 1).StartingAt(Start + 60_000).Gps(1, _ => 72f, _ => (52.5, 5.1)).Build());
        var change = await NextAsync(acme);

        Assert.False(change.Snapshot);
        var truck2 = Assert.Single(change.Devices);
        Assert.Equal(("truck-2", 72f, 52.5, "reefer"), (truck2.DeviceId, truck2.Position.SpeedKmh, truck2.Position.LatitudeDeg, string.Join(' ', truck2.Tags)));

        var alert = new Alert
        {
            AlertId = Guid.NewGuid().ToString("N"), TenantId = "acme", DeviceId = "truck-1", RuleId = "reefer-warm", Severity = Severity.Critical,
            State = AlertState.Firing, StartTimeUnixMs = Start, TriggerValue = 9.1, TriggerUnit = "degC", Message = "zone 1 at 9.1 degC",
        };
        KafkaTopics.WriteAlerts(Kafka.BootstrapServers, "acme", [alert]);
        var fired = await NextAsync(acme);
        Assert.Equal((alert.AlertId, AlertState.Firing), (Assert.Single(fired.Alerts).AlertId, fired.Alerts[0].State));
        Assert.Equal(alert.AlertId, Assert.Single(Assert.Single(fired.Devices).FiringAlerts).AlertId);
        // The north watch selects truck-1 only: truck-2's batch was not sent to it, the alert was.
        Assert.Equal(alert.AlertId, Assert.Single((await NextAsync(north)).Alerts).AlertId);

        // Globex's watch saw none of acme's changes: its next message is its own van's.
        Write("globex", BatchBuilder.For("van-2", 1).StartingAt(Start + 60_000).Gps(1, _ => 30f).Build());
        var theirs = await NextAsync(globex);
        Assert.Equal(["van-2"], theirs.Devices.Select(d => d.DeviceId));
        Assert.Empty(theirs.Alerts);
    }

    [Fact]
    public async Task AWatcherThatFallsBehind_IsCutOff_AndToldToWatchAgain()
    {
        await ProjectedAsync("acme", "truck-1", 1);
        var watchers = History.App.Services.GetRequiredService<FleetWatchers>();
        using var watch = History.Client().WatchFleet(new WatchFleetRequest(), Caller("acme"));
        Assert.True((await NextAsync(watch)).Snapshot);

        // Flushes come faster than the watch can send their changes (it reads the store for each,
        // and nobody reads the stream): its backlog of 2 overflows and it is ended.
        var notice = new FlushNotice(["truck-1"], []);
        var deadline = DateTime.UtcNow + FewSeconds;
        while (watchers.IsWatched("acme") && DateTime.UtcNow < deadline)
        {
            watchers.Publish("acme", notice);
        }

        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var patience = new CancellationTokenSource(FewSeconds);
            while (await watch.ResponseStream.MoveNext(patience.Token))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains("watch again", ended.Status.Detail, StringComparison.Ordinal);
        Assert.False(watchers.IsWatched("acme"));
    }

    [Fact]
    public async Task AWatch_EndsWhenItsTokenExpires()
    {
        // Long enough that the snapshot is written before it expires on a busy machine (with 3 s it
        // could expire first, and the call ended before its first message).
        var lifetime = TimeSpan.FromSeconds(10);
        string shortLived = TestPartner.Mint(Issuer.EcSigning, "acme", "viewer", audience: TestFleetHistory.Audience, expires: DateTime.UtcNow + lifetime);
        using var watch = History.Client().WatchFleet(new WatchFleetRequest(), TestPartner.Bearer(shortLived));
        Assert.True((await NextAsync(watch)).Snapshot);

        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var patience = new CancellationTokenSource(lifetime + FewSeconds);
            while (await watch.ResponseStream.MoveNext(patience.Token))
            {
            }
        });

        Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        Assert.Contains("fresh token", ended.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWatch_IsRefusedLikeAnyQuery()
    {
        using var anonymous = History.Client().WatchFleet(new WatchFleetRequest());
        var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

        using var badTag = History.Client().WatchFleet(new WatchFleetRequest { Tags = { "no such tag!" } }, Caller("acme"));
        refused = await Assert.ThrowsAsync<RpcException>(() => badTag.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }


    private void Write(string tenant, Contracts.Telemetry.V1.TelemetryBatch batch) => KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, tenant, [batch]);

    private async Task ProjectedAsync(string tenant, string device, ulong sequence)
    {
        Write(tenant, BatchBuilder.For(device, sequence).StartingAt(Start).Gps(1, _ => 40f).Build());
        await Eventually.ReturnsAsync(() => History.Client().GetFleetStateAsync(new GetFleetStateRequest { DeviceIds = { device } }, Caller(tenant)).ResponseAsync,
            s => s.Devices.Count == 1, Eventually.DefaultTimeout, $"{tenant}/{device} projected");
    }

    /// <summary>The watch's next message, within a few seconds.</summary>
    private static async Task<FleetChange> NextAsync(AsyncServerStreamingCall<FleetChange> watch)
    {
        using var patience = new CancellationTokenSource(FewSeconds);
        Assert.True(await watch.ResponseStream.MoveNext(patience.Token), "the watch ended");
        return watch.ResponseStream.Current;
    }

    private static TempFolder AcmeRules()
    {
        var rules = new TempFolder("rules");
        File.Copy(Repository.PathOf("rules", "acme.yaml"), rules.File("acme.yaml"));
        return rules;
    }
}
