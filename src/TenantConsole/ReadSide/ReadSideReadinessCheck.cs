using Convoy.Contracts.Fleet.V1;
using Convoy.Probes;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.TenantConsole.ReadSide;

/// <summary>
/// Ready while the read side answers a query within <see cref="HealthEndpoints.CheckTimeout"/>:
/// every page of the console reads from it. The probe carries no token, so its answer is
/// UNAUTHENTICATED, which proves the read side is up; only no answer (UNAVAILABLE,
/// DEADLINE_EXCEEDED) makes the console not ready. Registered as <c>fleet-history</c>.
/// </summary>
internal sealed class ReadSideReadinessCheck(ReadSideClient readSide) : IHealthCheck
{
    public const string Name = "fleet-history";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await readSide.Fleet.GetProjectionStatusAsync(new GetProjectionStatusRequest(),
                deadline: DateTime.UtcNow + HealthEndpoints.CheckTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return HealthCheckResult.Unhealthy($"the read side at {readSide.Address} did not answer within {HealthEndpoints.CheckTimeout.TotalSeconds:0} s");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return HealthCheckResult.Unhealthy($"the read side at {readSide.Address} cannot be reached ({e.Status.Detail})");
        }
        catch (RpcException)
        {
            return HealthCheckResult.Healthy(); // It answered: refusing a probe without a token is what a live read side does.
        }
    }
}
