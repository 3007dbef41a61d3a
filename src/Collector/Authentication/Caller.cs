using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Who made a call, as authenticated: a device by its certificate, or a partner by its token.
/// The tenant comes from one of those only, never from a request.
/// </summary>
internal sealed record Caller(string Tenant, DeviceIdentity? Device, X509Certificate2? Certificate, PartnerIdentity? Partner, string Remote)
{
    /// <summary>The device id, or "partner &lt;sub&gt;", for logs.</summary>
    public string Principal => Partner is { } partner ? PartnerPrincipal(partner.Subject) : Device?.Device ?? "(unknown)";

    public static string PartnerPrincipal(string? subject) => "partner " + (string.IsNullOrEmpty(subject) ? "(no sub)" : subject);
}
