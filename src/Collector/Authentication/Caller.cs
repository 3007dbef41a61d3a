using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Convoy.Tokens;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Who made a call, as authenticated: a device by its certificate, or a partner by its token.
/// The tenant comes from one of those only, never from a request.
/// </summary>
internal sealed record Caller(string Tenant, DeviceIdentity? Device, X509Certificate2? Certificate, PartnerIdentity? Partner, string Remote)
{
    /// <summary>The device id, or "partner &lt;sub&gt;", for logs.</summary>
    public string Principal => Partner is { } partner ? PartnerPrincipal(partner.Subject) : Device?.Device ?? "(unknown)";

    /// <summary>A partner by the subject of a token whose signature was verified (escaped all the same: it is text from outside).</summary>
    public static string PartnerPrincipal(string? subject) => "partner " + (string.IsNullOrEmpty(subject) ? "(no sub)" : LogText.AsIs(subject));

    /// <summary>
    /// A refused token's caller: its subject is a claim nobody vouched for, so it is never logged as
    /// an identity, only quoted and escaped (a newline in it cannot start a forged log line).
    /// </summary>
    public static string UnverifiedPartnerPrincipal(string? subject) =>
        "unverified partner" + (string.IsNullOrEmpty(subject) ? string.Empty : ", token sub " + LogText.Quote(subject));
}
