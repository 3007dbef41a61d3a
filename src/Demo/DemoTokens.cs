using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Demo;

/// <summary>
/// The demo's own token issuer, so a user can query the read side right away: an ECDSA P-256 key
/// made at start, its public half written as the PEM file the fleet history program trusts, and
/// one token per tenant (roles viewer and analyst, valid for a day) written beside it. A real
/// deployment trusts its identity provider's keys instead (docs/configuration/fleet-history.md).
/// </summary>
internal sealed class DemoTokens : IDisposable
{
    public const string Issuer = "convoy-demo";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public DemoTokens(string folder, IEnumerable<string> tenants)
    {
        Directory.CreateDirectory(folder);
        KeyFile = Path.Combine(folder, "demo-issuer.pem");
        File.WriteAllText(KeyFile, _key.ExportSubjectPublicKeyInfoPem());
        // The tenant console's dev sign-in mints its read-side tokens with the same key.
        SigningKeyFile = Path.Combine(folder, "demo-issuer.key");
        File.WriteAllText(SigningKeyFile, _key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SigningKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var signing = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = "demo-issuer" }, SecurityAlgorithms.EcdsaSha256);
        foreach (string tenant in tenants)
        {
            var now = DateTime.UtcNow;
            string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = Convoy.FleetHistory.FleetHistoryOptions.TokenAudience,
                Claims = new Dictionary<string, object> { ["sub"] = "demo-dispatcher", ["tid"] = tenant, ["roles"] = "viewer analyst" },
                NotBefore = now.AddMinutes(-1),
                Expires = now.AddDays(1),
                SigningCredentials = signing,
            });
            string file = Path.Combine(folder, tenant + ".jwt");
            File.WriteAllText(file, token);
            // As the user would type it: relative to where the demo was started, when it is below it.
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
            TokenFiles[tenant] = relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
        }
    }

    /// <summary>The public key the fleet history program verifies tokens with.</summary>
    public string KeyFile { get; }

    /// <summary>The private key (PKCS#8 PEM), for the tenant console's dev sign-in; readable by the user only.</summary>
    public string SigningKeyFile { get; }

    /// <summary>Each tenant's token file.</summary>
    public Dictionary<string, string> TokenFiles { get; } = new(StringComparer.Ordinal);

    public void Dispose() => _key.Dispose();
}
