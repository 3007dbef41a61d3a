using Convoy.Contracts.Fleet;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// A verified caller: the tenant only from its token's <c>tid</c>, and its highest role.
/// <paramref name="ExpiresAt"/> is when its token expires (a watch lasts no longer); null = never.
/// </summary>
internal sealed record QueryCaller(string Tenant, string Subject, FleetRole Role, DateTimeOffset? ExpiresAt = null);

/// <summary>The outcome of checking a bearer token: the caller, or why not (a sentence the caller can act on).</summary>
internal readonly record struct CallerVerdict(QueryCaller? Caller, string? Problem);

/// <summary>Verifies a query API bearer token.</summary>
internal interface ICallerTokens
{
    Task<CallerVerdict> VerifyAsync(string token);
}
