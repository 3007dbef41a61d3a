using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Store;
using Convoy.Kafka.Embedded;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// ClickHouse restarted while telemetry keeps arriving: the projector's writes fail, it waits and
/// projects again from the store's last positions, and once ClickHouse is back it catches up with
/// every reading exactly once. Exists where ClickHouse is installed (CI requires it).
/// </summary>
public sealed class ClickHouseRestartTests
{
    private const string Tenant = "acme";
    private const int Devices = 6;
    private const int Rounds = 30;
    private static readonly long Start = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;

    public static IEnumerable<object[]> Servers => ClickHouseTestServer.WhereInstalled;

    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public async Task ClickHouseRestartedUnderLoad_TheProjectorWaitsThenCatchesUp_WithNothingLostOrCountedTwice(string server)
    {
        Assert.NotNull(server);
        await using var clickHouse = await ClickHouseTestServer.StartAsync();
        using var kafka = EmbeddedKafkaCluster.Start();
        kafka.CreateTopic(Contracts.TelemetryRecordHeaders.TelemetryTopic(Tenant), 2);
        using var folder = new TempFolder("clickhouse-restart");
        using var issuer = new TestPartner(folder.File("issuer"));
        await using var history = await TestFleetHistory.StartAsync(kafka, issuer, null,
            "--FleetHistory:Store=ClickHouse", $"--FleetHistory:ClickHouse:Url={clickHouse.HttpEndpoint}", $"--FleetHistory:ClickHouse:Database={ClickHouseFixture.NewDatabase()}");
        // Writes fail while ClickHouse is down: that is the point, and the projector says so.
        history.Logs.ExpectErrors("StoreWriteFailed");
        var store = history.App.Services.GetRequiredService<IFleetStore>();

        for (int round = 1; round <= Rounds; round++)
        {
            KafkaTopics.WriteTelemetry(kafka.BootstrapServers, Tenant, Enumerable.Range(0, Devices).Select(d =>
                BatchBuilder.For($"truck-{d}", (ulong)round).StartingAt(Start + (round * 60_000L)).Temperatures(1, 10, i => i).Build()));
            if (round == Rounds / 3)
            {
                await clickHouse.StopAsync();
            }
            else if (round == Rounds * 2 / 3)
            {
                await clickHouse.StartAgainAsync();
            }

            await Task.Delay(50);
        }

        await Eventually.HoldsAsync(() => Enumerable.Range(0, Devices).All(d => store.Sequences(Tenant).TryGetValue(new($"truck-{d}", ""), out ulong mark) && mark == Rounds),
            TimeSpan.FromSeconds(90), "the projector to catch up after ClickHouse came back");
        Assert.True(history.Logs.Count("StoreWriteFailed") > 0, "no write failed: ClickHouse was not down while the projector wrote");
        for (int d = 0; d < Devices; d++)
        {
            var hours = store.Rollups(Tenant, $"truck-{d}", "temperature", 1, Resolution.Hour, 0, long.MaxValue, long.MinValue, 100);
            Assert.Equal(Rounds * 10L, hours.Sum(h => (long)h.Count));
        }
    }
}
