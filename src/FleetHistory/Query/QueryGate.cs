using System.Globalization;
using System.Threading.RateLimiting;
using Convoy.Contracts.Fleet;
using Convoy.FleetHistory.Tenancy;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// The door of every query: a bearer token that names the tenant, a tenant the registry lets query,
/// a role high enough for the method, then the tenant's query quota (a token bucket per tenant, as the collector's quotas).
/// Every refusal says what to do about it.
/// </summary>
internal sealed class QueryGate : IDisposable
{
    private readonly ICallerTokens _tokens;
    private readonly FleetHistoryOptions _options;
    private readonly PartitionedRateLimiter<string> _quota;

    private readonly TenantSettings _tenants;

    public QueryGate(ICallerTokens tokens, TenantSettings tenants, IOptions<FleetHistoryOptions> options)
    {
        _tenants = tenants;
        _tokens = tokens;
        _options = options.Value;
        _quota = PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.QueryBurst,
            TokensPerPeriod = _options.QueriesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>The caller, once its token, role and quota allow the call; otherwise an <see cref="RpcException"/>.</summary>
    public async Task<QueryCaller> AdmitAsync(ServerCallContext context, FleetRole needed)
    {
        string? authorization = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "send a bearer token (header 'Authorization: Bearer <JWT>') whose 'tid' names your tenant and whose 'roles' include viewer, analyst or admin"));
        }

        var verdict = await _tokens.VerifyAsync(authorization["Bearer ".Length..].Trim());
        if (verdict.Caller is not { } caller)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, verdict.Problem ?? "the bearer token was refused"));
        }

        if (_tenants.Refusal(caller.Tenant) is { } refusal)
        {
            throw new RpcException(refusal);
        }

        if (caller.Role < needed)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"this call needs the role '{FleetRoles.Name(needed)}'{(needed < FleetRole.Admin ? " or higher" : "")}; the token's roles do not include it"));
        }

        using var lease = _quota.AttemptAcquire(caller.Tenant);
        if (!lease.IsAcquired)
        {
            int retryMs = lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? Math.Max(100, (int)after.TotalMilliseconds) : 1000;
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                string.Create(CultureInfo.InvariantCulture, $"tenant {caller.Tenant} is over its query quota of {_options.QueriesPerSecond} queries/s; send again after {retryMs} ms")),
                new Metadata { { "grpc-retry-pushback-ms", retryMs.ToString(CultureInfo.InvariantCulture) } });
        }

        return caller;
    }

    public void Dispose() => _quota.Dispose();
}
