using System.Security.Cryptography;
using Convoy.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Collector.Tests;

/// <summary>
/// A token issuer as the unit tests play it: an RSA key whose public half is the PEM file
/// <c>issuer-1.pem</c> (so its kid is <c>issuer-1</c>), options that trust it, a fake clock, and
/// tokens minted with Microsoft.IdentityModel, the library that verifies them.
/// </summary>
internal sealed class TestTokenIssuer : IDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "convoy-test";
    public const string KeyId = "issuer-1";
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public TestTokenIssuer()
    {
        KeyFile = Folder.File(KeyId + ".pem");
        File.WriteAllText(KeyFile, Rsa.ExportSubjectPublicKeyInfoPem());
        Options.KeyFiles.Add(KeyFile);
    }

    public TempFolder Folder { get; } = new("token-unit");

    public RSA Rsa { get; } = RSA.Create(2048);

    public FakeTimeProvider Time { get; } = new(Start);

    public string KeyFile { get; }

    public TokenOptions Options { get; } = new() { Issuer = Issuer, Audience = Audience, ClockSkewSeconds = 30 };

    public TokenKeys Keys(ILogger? logger = null) => new(Options.KeyFiles, Options.JwksFile, Time, logger ?? NullLogger.Instance);

    public BearerTokenVerifier Verifier(TokenKeys? keys = null) => new(keys ?? Keys(), Options, Time);

    /// <summary>A token valid now on the fake clock, for tenant acme, signed with the issuer's key; each part can be changed.</summary>
    public string Mint(DateTimeOffset? expires = null, DateTimeOffset? notBefore = null, object? roles = null, RSA? signingKey = null,
        string? keyId = KeyId, string issuer = Issuer, string audience = Audience, string? tenant = "acme")
    {
        var claims = new Dictionary<string, object> { ["sub"] = "unit", ["roles"] = roles ?? new[] { "ingest" } };
        if (tenant is not null)
        {
            claims["tid"] = tenant;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            NotBefore = (notBefore ?? Start.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? Start.AddMinutes(10)).UtcDateTime,
            IssuedAt = (notBefore ?? Start.AddMinutes(-1)).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signingKey ?? Rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>Writes a key file anew and dates it a minute ahead, so its change is seen whatever the file system's time resolution.</summary>
    public static void Rewrite(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
    }

    public void Dispose()
    {
        Rsa.Dispose();
        Folder.Dispose();
    }
}
