using Convoy.Probes;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.FleetHistory.Store;

/// <summary>
/// Ready while the store answers a trivial read (<see cref="IFleetStore.Ping"/>) within
/// <see cref="HealthEndpoints.CheckTimeout"/>: a read side whose store is down can answer no
/// query and project nothing. Registered as <c>store</c>.
/// </summary>
internal sealed class StoreReadinessCheck(IFleetStore store) : IHealthCheck
{
    public const string Name = "store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The stores' calls are synchronous (ClickHouse's may wait up to its 30 s statement timeout).
        var ping = Task.Run(store.Ping, CancellationToken.None);
        try
        {
            await ping.WaitAsync(HealthEndpoints.CheckTimeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (StoreUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"the {store.Kind} store cannot be used: {e.Message}");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the {store.Kind} store did not answer within {HealthEndpoints.CheckTimeout.TotalSeconds:0} s");
        }
    }
}
