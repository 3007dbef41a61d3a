using Convoy.Tokens;

namespace Convoy.Collector.Authentication;

/// <summary>The outcome of checking a partner token: the partner, or why not (a metric label and a sentence for the caller).</summary>
internal readonly record struct PartnerVerdict(PartnerIdentity? Partner, string? Reason, string? Problem, string? Subject)
{
    public static PartnerVerdict Refused(string reason, string problem, string? subject = null) => new(null, reason, problem, subject);
}

/// <summary>
/// Partner tokens as the collector takes them: verified by the shared <see cref="BearerTokenVerifier"/>
/// (src/Tokens), then the token's role names mapped to what a partner may do here; other roles are
/// ignored. Refuses, in the collector's words, when no partner keys are configured at all.
/// </summary>
internal sealed class PartnerTokens
{
    private readonly BearerTokenVerifier _verifier;

    public PartnerTokens(BearerTokenVerifier verifier) => _verifier = verifier;

    public bool Enabled => _verifier.Enabled;

    public async Task<PartnerVerdict> VerifyAsync(string token)
    {
        if (!Enabled)
        {
            // Before the verifier's own refusal: a partner may use a device certificate instead.
            return PartnerVerdict.Refused(RefusalReasons.PartnersNotConfigured,
                $"this collector accepts no partner tokens (no {CollectorOptions.PartnersSection} keys are configured); ask the platform operator, or use a device certificate");
        }

        var verdict = await _verifier.VerifyAsync(token);
        if (verdict.Bearer is not { } bearer)
        {
            return PartnerVerdict.Refused(verdict.Reason!, verdict.Problem!, verdict.UnverifiedSubject);
        }

        var partner = new PartnerIdentity(bearer.Tenant, bearer.Subject, Roles(bearer.Roles), bearer.ExpiresAt, bearer.KeyId);
        return new PartnerVerdict(partner, null, null, bearer.Subject);
    }

    /// <summary>The roles the collector knows among a token's role names.</summary>
    internal static PartnerRoles Roles(IReadOnlySet<string> names)
    {
        var roles = PartnerRoles.None;
        foreach (string name in names)
        {
            roles |= name switch
            {
                PartnerIdentity.IngestRole => PartnerRoles.Ingest,
                PartnerIdentity.AlertsReadRole => PartnerRoles.AlertsRead,
                _ => PartnerRoles.None,
            };
        }

        return roles;
    }
}
