using Convoy.Contracts.Fleet;
using Convoy.Tokens;

namespace Convoy.FleetHistory.Query;

/// <summary>Query API callers through the shared bearer token verifier (src/Tokens), the same checks partners meet at the collector.</summary>
internal sealed class BearerCallerTokens : ICallerTokens
{
    private readonly BearerTokenVerifier _verifier;

    public BearerCallerTokens(BearerTokenVerifier verifier) => _verifier = verifier;

    public async Task<CallerVerdict> VerifyAsync(string token)
    {
        var verdict = await _verifier.VerifyAsync(token);
        return verdict.Bearer is { } bearer
            ? new CallerVerdict(new QueryCaller(bearer.Tenant, bearer.Subject, FleetRoles.Highest(bearer.Roles), bearer.ExpiresAt), null)
            : new CallerVerdict(null, verdict.Problem);
    }
}
