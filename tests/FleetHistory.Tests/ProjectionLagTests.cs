using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// How far the projection is, in the two places it is told: GetProjectionStatus (a tenant sees its
/// own partitions only) and the read side's /metrics (a lag gauge per topic and partition, for the
/// operator), both from the same record of what each flush wrote.
/// </summary>
[Collection(ProcessMetrics.Name)]
public sealed class ProjectionLagTests() : ReadSideTest("fleet-lag")
{
    private static readonly long Start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() / 60_000 * 60_000;
    private readonly HttpClient _http = new();

    [Fact]
    public async Task ProjectedRecords_StatusShowsTheTenantsOwnPartitionsCaughtUp_AndMetricsExportTheLagPerPartition()
    {
        for (ulong sequence = 1; sequence <= 3; sequence++)
        {
            KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, "acme", [BatchBuilder.For("truck-1", sequence).StartingAt(Start + ((long)sequence * 60_000)).Gps(1, _ => 40f).Build()]);
        }

        KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, "globex", [BatchBuilder.For("van-1", 1).StartingAt(Start).Gps(1, _ => 40f).Build()]);

        var status = await Eventually.ReturnsAsync(() => History.Client().GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme")).ResponseAsync,
            static s => s.Partitions.Where(p => p.Topic == "telemetry.acme").Sum(p => p.NextOffset) == 3 && s.Partitions.All(p => p.Lag == 0),
            Eventually.DefaultTimeout, "acme's three records projected");
        // Only acme's own topics, each with its end and no lag; nothing says globex exists.
        Assert.All(status.Partitions, p => Assert.StartsWith("telemetry.acme", p.Topic, StringComparison.Ordinal));
        Assert.All(status.Partitions, p => Assert.Equal(p.EndOffset, p.NextOffset));

        string metrics = await Eventually.ReturnsAsync(() => _http.GetStringAsync(new Uri(History.HttpAddress, "/metrics")),
            static text => text.Contains("topic=\"telemetry.globex\"", StringComparison.Ordinal), Eventually.DefaultTimeout, "both tenants' partitions in /metrics");
        // truck-1's records are in one partition of telemetry.acme (by its key): that partition, caught up.
        var acme = Assert.Single(status.Partitions, p => p.NextOffset > 0);
        Assert.Matches($$"""convoy_fleethistory_consumer_lag\{[^}]*partition="{{acme.Partition}}"[^}]*topic="telemetry.acme"[^}]*\} 0""", metrics);
        Assert.Matches("""convoy_fleethistory_readings_total\{[^}]*tenant="acme"[^}]*\} 3""", metrics);
        Assert.Contains("service_name=\"convoy-fleet-history\"", metrics, StringComparison.Ordinal);
    }
}
