using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Demo;

/// <summary>
/// The demo's own token issuer, so a user can query the read side right away: an ECDSA P-256 key
/// made at start, its public half written as the PEM file the fleet history program trusts, and
/// two tokens per tenant written beside it, valid for a day: a dispatcher's (roles viewer and
/// analyst) and an admin's (who may also set retention and rebuild the projections). A real
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
            TokenFiles[tenant] = Write(folder, tenant + ".jwt", Mint(signing, tenant, "demo-dispatcher", "viewer analyst"));
            AdminTokenFiles[tenant] = Write(folder, tenant + "-admin.jwt", Mint(signing, tenant, "demo-admin", "admin"));
        }
    }

    /// <summary>The public key the fleet history program verifies tokens with.</summary>
    public string KeyFile { get; }

    /// <summary>The private key (PKCS#8 PEM), for the tenant console's dev sign-in; readable by the user only.</summary>
    public string SigningKeyFile { get; }

    /// <summary>Each tenant's dispatcher token file.</summary>
    public Dictionary<string, string> TokenFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Each tenant's admin token file.</summary>
    public Dictionary<string, string> AdminTokenFiles { get; } = new(StringComparer.Ordinal);

    private static string Mint(SigningCredentials signing, string tenant, string subject, string roles)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Convoy.FleetHistory.FleetHistoryOptions.TokenAudience,
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["tid"] = tenant, ["roles"] = roles },
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddDays(1),
            SigningCredentials = signing,
        });
    }

    /// <summary>Writes the token; its path as the user would type it: relative to where the demo was started, when it is below it.</summary>
    private static string Write(string folder, string name, string token)
    {
        string file = Path.Combine(folder, name);
        File.WriteAllText(file, token);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        return relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
    }

    public void Dispose() => _key.Dispose();
}
