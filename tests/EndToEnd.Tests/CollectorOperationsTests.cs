using System.Net;
using Convoy.Collector;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Convoy.EndToEnd.Tests;

/// <summary>What an operator uses: the gRPC health service, server reflection (grpcurl), the Prometheus endpoint and the orchestrator's probes.</summary>
[Collection(ProcessMetrics.Name)] // /metrics shows every collector in the test process: refusals of tests beside it would count
public sealed class CollectorOperationsTests : IAsyncLifetime
{
    private const string Tenant = "ops";
    private TestCollector _collector = null!;
    private TestDevice _device = null!;

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync([Tenant]);
        _device = _collector.Device(Tenant, "truck-1");
    }

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task HealthService_WithKafkaReachable_IsServing()
    {
        var response = await new Health.HealthClient(_device.Channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task HealthService_NamedServiceKafka_IsServing()
    {
        var response = await new Health.HealthClient(_device.Channel).CheckAsync(new HealthCheckRequest { Service = "kafka" });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task ProbesOnTheMetricsPort_HealthyWhileKafkaAnswers_ReadyzIs503NamingKafkaWhileItIsDown()
    {
        using var http = new HttpClient();
        var metrics = CollectorHost.MetricsAddress(_collector.App)!;
        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(http, new Uri(metrics, "/healthz")));
        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(http, new Uri(metrics, "/readyz")));
        // ASP.NET Core logs each failing check at Error, naming it and why: expected while Kafka is down.
        _collector.Logs.ExpectErrors("HealthCheckEnd");

        _collector.Kafka.SetBrokerDown();
        var (status, report) = await GetAsync(http, new Uri(metrics, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("Unhealthy\nkafka: no broker answered within 2 s at " + _collector.Kafka.BootstrapServers, report, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, "Healthy\n"), await GetAsync(http, new Uri(metrics, "/healthz")));

        _collector.Kafka.SetBrokerUp();
        await Eventually.HoldsAsync(async () => (await GetAsync(http, new Uri(metrics, "/readyz"))).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "/readyz to answer 200 once the broker is back");
    }

    [Fact]
    public async Task Reflection_ListsTheIngestAndHealthServices()
    {
        using var call = new ServerReflection.ServerReflectionClient(_device.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        // Read the call to its end: disposing it while the server is still closing resets the stream,
        // which the server rightly logs as an error.
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Contains("convoy.telemetry.v1.Ingest", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task MetricsEndpoint_ServesPerTenantCountersAndRuntimeGcInPrometheusFormat()
    {
        await _device.SendAsync(TestDevice.Batch("truck-1", 1), TestDevice.Batch("truck-1", 2));
        using var http = new HttpClient();
        var metrics = CollectorHost.MetricsAddress(_collector.App)!;

        string text = string.Empty;
        await Eventually.HoldsAsync(() =>
        {
            text = http.GetStringAsync(metrics).GetAwaiter().GetResult();
            return text.Contains("convoy_collector_batches_acknowledged", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "the acknowledged batches to show in /metrics");

        Assert.Matches(@"convoy_collector_batches_acknowledged[^\n]*tenant=""ops""[^\n]* 2", text);
        Assert.Contains("convoy_collector_kafka_produce_duration", text, StringComparison.Ordinal);
        Assert.Matches(@"dotnet_gc_collections\w*\{[^\n]*generation=""gen0""", text); // runtime instruments: GC by generation
        // Only /metrics answers on the plain port.
        var other = await http.GetAsync(new Uri(metrics, "/convoy.telemetry.v1.Ingest/Stream"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task MetricsEndpoint_BeforeAnyTraffic_HasEveryRefusalSeriesAtZero()
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync(CollectorHost.MetricsAddress(_collector.App)!);

        foreach (var (reason, status) in RefusalReasons.Batch)
        {
            // This collector's registry is open (any tenant): the batch series have no tenant yet.
            Assert.Matches($$"""convoy_collector_batches_refused_total\{[^}]*reason="{{reason}}",status="{{status}}",tenant=""\} 0""", text);
        }

        foreach (string reason in RefusalReasons.Access)
        {
            Assert.Matches($$"""convoy_collector_access_refused_total\{[^}]*reason="{{reason}}",tenant=""\} 0""", text);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, Uri address)
    {
        using var response = await http.GetAsync(address);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
