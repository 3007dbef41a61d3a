namespace Convoy.Tokens;

/// <summary>
/// The outcome of verifying a bearer token: its <see cref="Bearer"/>, or why not, as a short stable
/// <see cref="Reason"/> (a metric and audit label, e.g. <c>token-expired</c>) and a
/// <see cref="Problem"/> the caller can act on.
/// </summary>
/// <param name="Bearer">Who the verified token names; null when the token was refused.</param>
/// <param name="Reason">Why the token was refused; null when it was accepted.</param>
/// <param name="Problem">The refusal as a sentence for the caller; null when it was accepted.</param>
/// <param name="UnverifiedSubject">
/// The token's <c>sub</c> as read before verification (empty when it has none; null when the token
/// could not be read). For auditing a refusal only: nobody vouched for it, so quote it
/// (<see cref="LogText.Quote"/>) and never log it as an identity.
/// </param>
public readonly record struct TokenVerdict(TokenBearer? Bearer, string? Reason, string? Problem, string? UnverifiedSubject)
{
    internal static TokenVerdict Refused(string reason, string problem, string? subject = null) => new(null, reason, problem, subject);
}

/// <summary>
/// A token's bearer as its verified token names it: the tenant only from <c>tid</c>, the roles
/// from <c>roles</c> as they were written (each program maps the names it knows and ignores the rest).
/// </summary>
/// <param name="Tenant">The <c>tid</c> claim, a valid tenant id.</param>
/// <param name="Subject">The <c>sub</c> claim; empty when the token has none.</param>
/// <param name="Roles">Every role the <c>roles</c> claim names, unfiltered (ordinal).</param>
/// <param name="ExpiresAt">The token's <c>exp</c>: a call lives no longer than its token.</param>
/// <param name="KeyId">The <c>kid</c> it was verified with; null when it named none.</param>
public sealed record TokenBearer(string Tenant, string Subject, IReadOnlySet<string> Roles, DateTimeOffset ExpiresAt, string? KeyId);
