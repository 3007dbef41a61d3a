using Convoy.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.Probes;

/// <summary>
/// Ready while the Kafka cluster answers a metadata request within <see cref="HealthEndpoints.CheckTimeout"/>,
/// through the process's own client settings (security, SASL): a program that cannot reach Kafka
/// can neither acknowledge nor project anything. Registered as <c>kafka</c>, the name gRPC health
/// reports it under too. Compiled into each program that talks to Kafka (a linked file, src/Shared).
/// </summary>
internal sealed class KafkaReadinessCheck(KafkaCluster cluster) : IHealthCheck
{
    public const string Name = "kafka";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // librdkafka's metadata request blocks its thread until an answer or the timeout.
        string? problem = await Task.Run(() => cluster.Probe(HealthEndpoints.CheckTimeout), cancellationToken).ConfigureAwait(false);
        return problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem);
    }
}
