using Convoy.Kafka.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Binds the <c>Kafka</c> section, validated when the host starts (an invalid setting stops the
    /// start with an <see cref="OptionsValidationException"/> naming its key), and registers the process's <see cref="KafkaCluster"/>. An
    /// <see cref="EmbeddedKafkaCluster"/> registered by the caller is used instead of starting one.
    /// </summary>
    public static IServiceCollection AddConvoyKafka(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KafkaOptions>().Bind(configuration.GetSection(KafkaOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, EmbeddedClusterPolicy>());
        services.AddSingleton(static sp => new KafkaCluster(
            sp.GetRequiredService<IOptions<KafkaOptions>>(),
            sp.GetRequiredService<ILogger<KafkaCluster>>(),
            sp.GetService<EmbeddedKafkaCluster>()));
        return services;
    }
}
