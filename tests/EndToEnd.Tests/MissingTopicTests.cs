using Convoy.Contracts;
using Convoy.Kafka;
using Convoy.Kafka.Embedded;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A tenant's topic missing on a cluster where Convoy may not create it (Kafka:CreateTopics=false,
/// operators create topics) is one clear error: the stream is refused at once, UNAVAILABLE with a
/// message naming the topic and what to do, and a retry hint; nothing waits for a write to time
/// out. Once an operator creates the topic, the truck's next stream lands.
/// </summary>
public sealed class MissingTopicTests : IAsyncLifetime
{
    private const string Tenant = "new-co";
    private TestCollector _collector = null!;

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            // No topic for the tenant, and a collector that reaches the cluster as Apache Kafka and may not create topics.
            Services = static services => services.AddSingleton(static sp => new KafkaCluster(
                Options.Create(new KafkaOptions { BootstrapServers = sp.GetRequiredService<EmbeddedKafkaCluster>().BootstrapServers, CreateTopics = false }),
                sp.GetRequiredService<ILogger<KafkaCluster>>())),
        });
        _collector.Logs.ExpectErrors("TopicMissing");
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task MissingTopic_RefusesTheStreamAtOnce_WithTheTopicNamed_ThenLandsOnceAnOperatorCreatesIt()
    {
        using var device = _collector.Device(Tenant, "truck-1");

        var refused = await Assert.ThrowsAsync<RpcException>(() => device.SendAsync(TestDevice.Batch("truck-1", 1)));

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal($"Kafka topic telemetry.{Tenant} does not exist at {_collector.Kafka.BootstrapServers}: Kafka:CreateTopics is false, so Convoy does not create topics; "
            + "create it with the tenant's partitions and retention. Nothing was written; send again later.", refused.Status.Detail);
        Assert.Equal("5000", refused.Trailers.GetValue("grpc-retry-pushback-ms"));

        Assert.True(_collector.Kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(Tenant), partitions: 1));
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await device.SendAsync(TestDevice.Batch("truck-1", 1)))[^1].AckedSequence == 1;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                await Task.Delay(250);
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the batch to land once the topic exists");
        Assert.Single(_collector.Telemetry(Tenant)); // the refused attempt wrote nothing
    }
}
