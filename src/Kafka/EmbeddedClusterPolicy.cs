using Convoy.Kafka.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Convoy.Kafka;

/// <summary>
/// Never silently in memory: the embedded cluster runs in the Development environment (launch
/// profiles), when the caller hands one in (the demo, the tests), or when Kafka:Embedded=true says
/// so. Anywhere else an empty Kafka:BootstrapServers stops the program at start, naming the fix.
/// </summary>
internal sealed class EmbeddedClusterPolicy : IValidateOptions<KafkaOptions>
{
    private readonly IHostEnvironment _environment;
    private readonly IServiceProvider _services;

    public EmbeddedClusterPolicy(IHostEnvironment environment, IServiceProvider services)
    {
        _environment = environment;
        _services = services;
    }

    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        if (!options.UsesEmbeddedCluster || options.Embedded || _environment.IsDevelopment() || _services.GetService<EmbeddedKafkaCluster>() is not null)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"Configuration 'Kafka:BootstrapServers' is empty in the {_environment.EnvironmentName} environment, where the embedded in-memory Kafka " +
            "would acknowledge data that a restart loses. Set Kafka:BootstrapServers to your brokers (host:port,...), " +
            "or Kafka:Embedded=true to run in memory knowingly.");
    }
}
