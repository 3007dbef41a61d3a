using System.Net;
using Convoy.Kafka.Embedded;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// What an orchestrator probes on the read side's HTTP port, without a token: /healthz (the process
/// serves) and /readyz (Kafka and the store answer), 503 naming each failing check and why.
/// </summary>
public sealed class HealthEndpointTests : IDisposable
{
    // ASP.NET Core logs each failing check at Error, naming it and why: expected while a dependency is down.
    private const string UnhealthyCheckLogged = "HealthCheckEnd";
    private readonly TempFolder _folder = new("fleet-health");
    private readonly TestPartner _issuer;
    private readonly HttpClient _http = new();

    public HealthEndpointTests() => _issuer = new TestPartner(_folder.File("issuer"));

    public static IEnumerable<object[]> ClickHouseServers => ClickHouseTestServer.WhereInstalled;

    [Fact]
    public async Task KafkaAndStoreUp_BothEndpointsAnswerHealthy_WithoutTokenOrQuota()
    {
        using var kafka = EmbeddedKafkaCluster.Start();
        await using var history = await TestFleetHistory.StartAsync(kafka, _issuer, null, "--FleetHistory:QueriesPerSecond=1", "--FleetHistory:QueryBurst=1");

        // More probes than the quota lets a tenant query: probes are no tenant's queries.
        for (int probe = 0; probe < 3; probe++)
        {
            await AssertAnswersAsync(history, "/healthz", HttpStatusCode.OK, "Healthy");
            await AssertAnswersAsync(history, "/readyz", HttpStatusCode.OK, "Healthy");
        }
    }

    [Fact]
    public async Task KafkaUnreachable_ReadyzIs503NamingKafkaAndItsAddress_WhileHealthzStaysHealthy()
    {
        string brokers = $"127.0.0.1:{LoopbackPorts.Free()}";
        await using var history = await TestFleetHistory.StartOnBrokersAsync(brokers, _issuer);
        history.Logs.ExpectErrors(UnhealthyCheckLogged);

        await AssertAnswersAsync(history, "/healthz", HttpStatusCode.OK, "Healthy");
        string report = await AssertAnswersAsync(history, "/readyz", HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"kafka: no broker answered within 2 s at {brokers}", report, StringComparison.Ordinal);
        Assert.DoesNotContain("store:", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuckDbFolderGone_ReadyzIs503NamingTheStoreAndTheFolder()
    {
        using var kafka = EmbeddedKafkaCluster.Start();
        using var data = new TempFolder("fleet-health-data");
        await using var history = await TestFleetHistory.StartAsync(kafka, _issuer, data.Path);
        history.Logs.ExpectErrors(UnhealthyCheckLogged);
        await AssertAnswersAsync(history, "/readyz", HttpStatusCode.OK, "Healthy");

        Directory.Delete(data.Path, recursive: true);

        string report = await AssertAnswersAsync(history, "/readyz", HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"store: the duckdb store cannot be used: the DuckDB folder {data.Path} cannot be read", report, StringComparison.Ordinal);
        Assert.DoesNotContain("kafka:", report, StringComparison.Ordinal);
        Directory.CreateDirectory(data.Path);
        await AssertAnswersAsync(history, "/readyz", HttpStatusCode.OK, "Healthy");
    }

    [Theory]
    [MemberData(nameof(ClickHouseServers), DisableDiscoveryEnumeration = true)]
    public async Task ClickHouseStopped_ReadyzIs503NamingTheStoreAndItsUrl_ThenReadyAgainWhenItIsBack(string server)
    {
        Assert.NotNull(server);
        await using var clickHouse = await ClickHouseTestServer.StartAsync();
        using var kafka = EmbeddedKafkaCluster.Start();
        await using var history = await TestFleetHistory.StartAsync(kafka, _issuer, null,
            "--FleetHistory:Store=ClickHouse", $"--FleetHistory:ClickHouse:Url={clickHouse.HttpEndpoint}", $"--FleetHistory:ClickHouse:Database={ClickHouseFixture.NewDatabase()}");
        // Whatever the projector or retention touch while ClickHouse is down fails, and says so.
        history.Logs.ExpectErrors("StoreWriteFailed", UnhealthyCheckLogged);
        await AssertAnswersAsync(history, "/readyz", HttpStatusCode.OK, "Healthy");

        await clickHouse.StopAsync();

        string report = await AssertAnswersAsync(history, "/readyz", HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"store: the clickhouse store cannot be used: ClickHouse at {clickHouse.HttpEndpoint} cannot be reached", report, StringComparison.Ordinal);
        await AssertAnswersAsync(history, "/healthz", HttpStatusCode.OK, "Healthy");

        await clickHouse.StartAgainAsync();
        await AssertAnswersAsync(history, "/readyz", HttpStatusCode.OK, "Healthy");
    }

    public void Dispose()
    {
        _http.Dispose();
        _issuer.Dispose();
        _folder.Dispose();
    }

    /// <summary>GETs <paramref name="path"/> on the HTTP port with no token; the body's first line is the status.</summary>
    private async Task<string> AssertAnswersAsync(TestFleetHistory history, string path, HttpStatusCode status, string firstLine)
    {
        using var response = await _http.GetAsync(new Uri(history.HttpAddress, path));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path} answered {(int)response.StatusCode}, not {(int)status}: {body}");
        Assert.Equal(firstLine, body.Split('\n')[0]);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return body;
    }
}
