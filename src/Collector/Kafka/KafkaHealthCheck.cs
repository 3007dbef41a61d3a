using Convoy.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.Collector.Kafka;

/// <summary>
/// Healthy while the Kafka cluster answers a metadata request: a collector that cannot reach
/// Kafka cannot acknowledge anything, so a load balancer should send devices elsewhere.
/// </summary>
internal sealed class KafkaHealthCheck : IHealthCheck
{
    private readonly KafkaCluster _cluster;

    public KafkaHealthCheck(KafkaCluster cluster) => _cluster = cluster;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string? problem = _cluster.Probe(TimeSpan.FromSeconds(2));
        return Task.FromResult(problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem));
    }
}
