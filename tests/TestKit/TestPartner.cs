using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Convoy.Pki;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.TestKit;

/// <summary>
/// A partner's token issuer as a test plays it: an RSA and an ECDSA P-256 key made here, their
/// public halves written as the PEM files the collector is configured with (kid = file name), and
/// tokens minted with Microsoft.IdentityModel, the library the collector verifies them with.
/// </summary>
public sealed class TestPartner : IDisposable
{
    public const string Issuer = "https://issuer.partner.test";
    public const string Audience = "convoy-collector";
    public const string RsaKid = "partner-rsa";
    public const string EcKid = "partner-ec";

    public TestPartner(string folder)
    {
        Directory.CreateDirectory(folder);
        RsaKeyFile = Path.Combine(folder, RsaKid + ".pem");
        EcKeyFile = Path.Combine(folder, EcKid + ".pem");
        File.WriteAllText(RsaKeyFile, Rsa.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(EcKeyFile, Ec.ExportSubjectPublicKeyInfoPem());
    }

    public RSA Rsa { get; } = RSA.Create(2048);

    public ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string RsaKeyFile { get; }

    public string EcKeyFile { get; }

    /// <summary>The collector switches that trust this issuer's two PEM keys.</summary>
    public string[] Switches(params string[] more) => [.. TokenSwitches("Collector:Partners", Audience), .. more];

    /// <summary>The switches of a program's token section (e.g. FleetHistory:Tokens) that trust this issuer's two PEM keys for <paramref name="audience"/>.</summary>
    public string[] TokenSwitches(string section, string audience) =>
    [
        $"--{section}:Issuer={Issuer}", $"--{section}:Audience={audience}",
        $"--{section}:KeyFiles:0={RsaKeyFile}", $"--{section}:KeyFiles:1={EcKeyFile}",
    ];

    public SigningCredentials RsaSigning => new(new RsaSecurityKey(Rsa) { KeyId = RsaKid }, SecurityAlgorithms.RsaSha256);

    public SigningCredentials EcSigning => new(new ECDsaSecurityKey(Ec) { KeyId = EcKid }, SecurityAlgorithms.EcdsaSha256);

    /// <summary>A token as a partner's issuer would mint it; each part can be changed or left out (null).</summary>
    public static string Mint(SigningCredentials? signing, string? tenant, object? roles, string issuer = Issuer, string audience = Audience,
        DateTime? notBefore = null, DateTime? expires = null, string subject = "dispatch-app")
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (tenant is not null)
        {
            claims["tid"] = tenant;
        }

        if (roles is not null)
        {
            claims["roles"] = roles;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = signing,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A JWKS document of public keys (RFC 7517), as an issuer publishes it.</summary>
    public static string Jwks(params (string Kid, AsymmetricAlgorithm Key)[] keys)
    {
        var entries = new List<JsonWebKey>();
        foreach (var (kid, key) in keys)
        {
            var jwk = key switch
            {
                RSA rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false))),
                ECDsa ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false)))),
                _ => throw new ArgumentException("RSA or ECDsa only", nameof(keys)),
            };
            jwk.Kid = kid;
            jwk.Use = "sig";
            entries.Add(jwk);
        }

        return JsonSerializer.Serialize(new { keys = entries.ConvertAll(static k => Public(k)) });

        static Dictionary<string, string> Public(JsonWebKey k)
        {
            var d = new Dictionary<string, string> { ["kty"] = k.Kty, ["kid"] = k.Kid, ["use"] = k.Use };
            foreach (var (name, value) in new[] { ("n", k.N), ("e", k.E), ("crv", k.Crv), ("x", k.X), ("y", k.Y) })
            {
                if (value is not null)
                {
                    d[name] = value;
                }
            }

            return d;
        }
    }

    /// <summary>A TLS channel without a client certificate, trusting the collector's development CA.</summary>
    public static GrpcChannel Channel(TestCollector collector)
    {
        var roots = CertificateIssuer.LoadPemCertificates(collector.Certificates.AuthorityCertificatePath);
        return GrpcChannel.ForAddress(collector.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, server, _, _) => CertificateTrust.IsTrusted((X509Certificate2)server!, roots, out _),
                },
            },
        });
    }

    public static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    public void Dispose()
    {
        Rsa.Dispose();
        Ec.Dispose();
    }
}
