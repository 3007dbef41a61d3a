using Convoy.Kafka.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates the <c>Kafka</c> section (throwing <see cref="OptionsException"/> now,
    /// not at first use) and registers the process's <see cref="KafkaCluster"/>. An
    /// <see cref="EmbeddedKafkaCluster"/> registered by the caller is used instead of starting one.
    /// </summary>
    public static IServiceCollection AddConvoyKafka(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new KafkaOptions();
        configuration.GetSection(KafkaOptions.SectionName).Bind(options);
        options.Validate();
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(static sp => new KafkaCluster(
            sp.GetRequiredService<IOptions<KafkaOptions>>(),
            sp.GetRequiredService<ILogger<KafkaCluster>>(),
            sp.GetService<EmbeddedKafkaCluster>()));
        return services;
    }
}
