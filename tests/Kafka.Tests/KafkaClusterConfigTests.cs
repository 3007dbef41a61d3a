using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka.Tests;

/// <summary>
/// librdkafka settings from configuration reach the clients they are meant for: Kafka:Properties
/// every client, Kafka:ProducerProperties and Kafka:ConsumerProperties only their kind (a consumer
/// setting on a producer is ignored by librdkafka with a CONFWARN in the log).
/// </summary>
public sealed class KafkaClusterConfigTests
{
    [Fact]
    public void ClientConfigs_TakeSharedAndOwnKindsProperties_NotTheOtherKinds()
    {
        using var cluster = Cluster(new Dictionary<string, string?>
        {
            ["Kafka:Properties:client.rack"] = "rack-a",
            ["Kafka:Properties:linger.ms"] = "20",
            ["Kafka:ProducerProperties:linger.ms"] = "50",
            ["Kafka:ProducerProperties:compression.type"] = "zstd",
            ["Kafka:ConsumerProperties:fetch.wait.max.ms"] = "25",
        });

        var producer = cluster.CreateProducerConfig("p");
        var consumer = cluster.CreateConsumerConfig("g", "c");
        var reader = cluster.CreateReaderConfig("r");
        var admin = cluster.CreateAdminConfig();

        Assert.Equal("50", producer.Get("linger.ms"));
        Assert.Equal("zstd", producer.Get("compression.type"));
        Assert.Null(producer.Get("fetch.wait.max.ms"));
        Assert.Equal("rack-a", producer.Get("client.rack"));
        Assert.Equal("25", consumer.Get("fetch.wait.max.ms"));
        Assert.Equal("25", reader.Get("fetch.wait.max.ms"));
        Assert.Null(consumer.Get("compression.type"));
        Assert.Equal("rack-a", consumer.Get("client.rack"));
        Assert.Equal("rack-a", admin.Get("client.rack"));
        Assert.Null(admin.Get("compression.type"));
        Assert.Null(admin.Get("fetch.wait.max.ms"));
    }

    [Theory]
    [InlineData("Kafka:ProducerProperties:bootstrap.servers", "127.0.0.1:9092", "Kafka:ProducerProperties:bootstrap.servers")]
    [InlineData("Kafka:ConsumerProperties:fetch.wait.max.ms", "", "Kafka:ConsumerProperties:fetch.wait.max.ms")]
    public void Validate_BadProperty_NamesItsKey(string key, string value, string named)
    {
        var options = Bind(new Dictionary<string, string?> { [key] = value });

        var refused = new KafkaOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(refused.Failed);
        Assert.Contains(named, refused.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kafka:EmbeddedBrokers", "10")]
    [InlineData("Kafka:TopicPartitions", "0")]
    [InlineData("Kafka:TopicReplicationFactor", "0")]
    [InlineData("Kafka:BootstrapServers", "kafka-1")]
    public async Task StartAsync_InvalidSetting_FailsNamingItsKey(string key, string value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.Services.AddConvoyKafka(builder.Configuration);
        using var host = builder.Build();

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"'{key}'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AreRegisteredOnce_ThroughTheOptionsPipeline()
    {
        var services = new ServiceCollection();
        services.AddConvoyKafka(new ConfigurationBuilder().Build());

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(KafkaOptions));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IOptions<KafkaOptions>) && d.ImplementationInstance is not null);
        // The settings' own checks, and the policy that keeps the in-memory cluster out of production.
        Assert.Equal([typeof(KafkaOptionsValidator), typeof(EmbeddedClusterPolicy)],
            services.Where(d => d.ServiceType == typeof(IValidateOptions<KafkaOptions>)).Select(d => d.ImplementationType));
    }

    private static KafkaOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new KafkaOptions { BootstrapServers = "127.0.0.1:9092" };
        configuration.GetSection(KafkaOptions.SectionName).Bind(options);
        return options;
    }

    // A configured broker address: no embedded cluster starts, and building configs connects nowhere.
    private static KafkaCluster Cluster(Dictionary<string, string?> settings) =>
        new(Options.Create(Bind(settings)), NullLogger<KafkaCluster>.Instance);
}
