using Convoy.Pki;
using Grpc.Core;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Authenticates a call at its start. The port allows, but does not require, a client
/// certificate (any certificate presented was already checked in the TLS handshake), so each call
/// shows one of two credentials:
/// <list type="bullet">
/// <item>a partner token, <c>authorization: Bearer &lt;JWT&gt;</c> (it wins when present: a bad
/// token is refused even over a connection with a device certificate);</item>
/// <item>a device certificate with a Convoy identity URI.</item>
/// </list>
/// Neither: UNAUTHENTICATED, saying what to present. Every refusal is audited.
/// </summary>
internal sealed class CallerAuthenticator
{
    private const string AuthorizationHeader = "authorization";
    private const string BearerScheme = "Bearer ";
    private readonly PartnerTokens _tokens;
    private readonly CertificateWatcher _certificates;
    private readonly AccessAudit _audit;

    public CallerAuthenticator(PartnerTokens tokens, CertificateWatcher certificates, AccessAudit audit)
    {
        _tokens = tokens;
        _certificates = certificates;
        _audit = audit;
    }

    /// <summary>
    /// The caller, if it may make a call that needs <paramref name="role"/>: a partner whose token
    /// has that role, or (when <paramref name="devicesMay"/>) a device. Otherwise throws the refusal.
    /// </summary>
    public async ValueTask<Caller> AuthenticateAsync(ServerCallContext context, PartnerRoles role, bool devicesMay)
    {
        string remote = context.Peer;
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        string? serial = certificate?.SerialNumber;
        string? authorization = context.RequestHeaders.GetValue(AuthorizationHeader);
        if (authorization is not null)
        {
            if (!authorization.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase) || authorization.Length == BearerScheme.Length)
            {
                throw _audit.Refuse(StatusCode.Unauthenticated, "token-malformed",
                    "the authorization header must be 'Bearer <JWT>'", null, null, serial, remote);
            }

            var verdict = await _tokens.VerifyAsync(authorization[BearerScheme.Length..].Trim());
            if (verdict.Partner is not { } partner)
            {
                throw _audit.Refuse(StatusCode.Unauthenticated, verdict.Reason!, verdict.Problem!, null, Caller.UnverifiedPartnerPrincipal(verdict.Subject), serial, remote);
            }

            if ((partner.Roles & role) == 0)
            {
                throw _audit.Refuse(StatusCode.PermissionDenied, RefusalReasons.MissingRole,
                    $"this token (sub '{partner.Subject}', tenant {partner.Tenant}) lacks the role '{PartnerIdentity.RoleName(role)}' in its 'roles' claim; ask your issuer for a token with it",
                    partner.Tenant, Caller.PartnerPrincipal(partner.Subject), serial, remote);
            }

            return new Caller(partner.Tenant, null, null, partner, remote);
        }

        if (certificate is null || !DeviceIdentity.TryFromCertificate(certificate, out var device))
        {
            throw _audit.Refuse(StatusCode.Unauthenticated, certificate is null ? RefusalReasons.NoCredentials : RefusalReasons.NoIdentity,
                _tokens.Enabled
                    ? "no credentials: present a device client certificate (mutual TLS, URI SAN urn:convoy:tenant:<tenant>:device:<device>) or a partner token (metadata 'authorization: Bearer <JWT>')"
                    : "no credentials: present a device client certificate (mutual TLS, URI SAN urn:convoy:tenant:<tenant>:device:<device>)",
                null, certificate?.Subject, serial, remote);
        }

        // The handshake may predate a revocation: a new call on an old connection is checked too,
        // and the connection is closed so the device must shake hands again (with a new certificate).
        if (_certificates.IsRevoked(certificate))
        {
            CloseConnection(context);
            throw _audit.Refuse(StatusCode.PermissionDenied, RefusalReasons.RevokedCertificate, "this device's certificate has been revoked; install a new certificate",
                device.Tenant, device.Device, serial, remote);
        }

        if (!devicesMay)
        {
            throw _audit.Refuse(StatusCode.PermissionDenied, RefusalReasons.DeviceNotAllowed,
                $"a device certificate cannot make this call; it needs a partner token with the role '{PartnerIdentity.RoleName(role)}'",
                device.Tenant, device.Device, serial, remote);
        }

        return new Caller(device.Tenant, device, certificate, null, remote);
    }

    /// <summary>Asks Kestrel to close the caller's connection (HTTP/2 GOAWAY) once its calls end.</summary>
    internal static void CloseConnection(ServerCallContext context) =>
        context.GetHttpContext().Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
}
