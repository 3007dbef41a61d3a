using System.Security.Cryptography;
using Convoy.Collector.Authentication;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Collector.Tests;

/// <summary>Partner token checks that need a clock or a file under the test's control.</summary>
public sealed class PartnerTokensUnitTests : IDisposable
{
    private const string Issuer = "https://issuer.test";
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-partner-unit-" + Guid.NewGuid().ToString("N"));
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly PartnerOptions _options = new() { Issuer = Issuer, ClockSkewSeconds = 30 };

    public PartnerTokensUnitTests()
    {
        Directory.CreateDirectory(_folder);
        string file = Path.Combine(_folder, "issuer-1.pem");
        File.WriteAllText(file, _rsa.ExportSubjectPublicKeyInfoPem());
        _options.KeyFiles.Add(file);
    }

    [Theory]
    [InlineData(-29, true)]   // expired 29 s ago: within the 30 s skew
    [InlineData(-31, false)]  // 31 s ago: beyond it
    [InlineData(600, true)]
    public async Task VerifyAsync_Expiry_IsJudgedByTheCollectorsClockWithTheSkew(int expiresInSeconds, bool accepted)
    {
        var tokens = Tokens();
        string jwt = Mint(expires: Start.AddSeconds(expiresInSeconds), notBefore: Start.AddMinutes(-20));

        var verdict = await tokens.VerifyAsync(jwt);

        Assert.Equal(accepted, verdict.Partner is not null);
        Assert.Equal(accepted ? null : "token-expired", verdict.Reason);
    }

    [Theory]
    [InlineData(29, true)]
    [InlineData(31, false)]
    public async Task VerifyAsync_NotBefore_IsJudgedWithTheSkew(int validInSeconds, bool accepted)
    {
        var verdict = await Tokens().VerifyAsync(Mint(expires: Start.AddHours(1), notBefore: Start.AddSeconds(validInSeconds)));

        Assert.Equal(accepted ? null : "token-not-yet-valid", verdict.Reason);
    }

    [Theory]
    [InlineData("array", 3)]
    [InlineData("string", 3)]
    [InlineData("single", 2)]
    [InlineData("unknown", 0)]
    public async Task VerifyAsync_Roles_AreReadFromAnArrayOrASpaceSeparatedString(string form, int expectedRoles)
    {
        var expected = (PartnerRoles)expectedRoles; // 1 ingest, 2 alerts:read
        object roles = form switch
        {
            "array" => new[] { "ingest", "alerts:read", "billing" },
            "string" => "ingest alerts:read billing",
            "single" => "alerts:read",
            _ => new[] { "admin" },
        };

        var verdict = await Tokens().VerifyAsync(Mint(roles: roles));

        Assert.Equal(expected, verdict.Partner!.Roles);
        Assert.Equal("acme", verdict.Partner.Tenant);
        Assert.Equal("issuer-1", verdict.Partner.KeyId);
    }

    [Fact]
    public async Task VerifyAsync_TokenWithoutKid_IsTriedAgainstEveryConfiguredKey()
    {
        var verdict = await Tokens().VerifyAsync(Mint(keyId: null));

        Assert.NotNull(verdict.Partner);
        Assert.Null(verdict.Partner.KeyId);
    }

    [Fact]
    public async Task VerifyAsync_WithoutConfiguredKeys_RefusesEveryTokenSayingSo()
    {
        var verdict = await new PartnerTokens(null, new PartnerOptions(), _time).VerifyAsync(Mint());

        Assert.Null(verdict.Partner);
        Assert.Equal("partners-not-configured", verdict.Reason);
        Assert.Contains("Collector:Partners", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartnerKeys_ChangedKeyFile_IsReadAgainAfterASecond()
    {
        var keys = new PartnerKeys(_options, _time);
        var tokens = new PartnerTokens(keys, _options, _time);
        using var next = RSA.Create(2048);
        string rotated = Mint(signingKey: next);
        Assert.Equal("token-bad-signature", (await tokens.VerifyAsync(rotated)).Reason);

        File.WriteAllText(_options.KeyFiles[0], next.ExportSubjectPublicKeyInfoPem());
        File.SetLastWriteTimeUtc(_options.KeyFiles[0], DateTime.UtcNow.AddMinutes(1));
        Assert.Equal("token-bad-signature", (await tokens.VerifyAsync(rotated)).Reason); // checked at most once a second
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotNull((await tokens.VerifyAsync(rotated)).Partner);
    }

    [Fact]
    public void PartnerKeys_UnreadableFileOnReload_KeepsTheKeysInUse()
    {
        var keys = new PartnerKeys(_options, _time);
        var before = keys.Current;

        File.WriteAllText(_options.KeyFiles[0], "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n");
        File.SetLastWriteTimeUtc(_options.KeyFiles[0], DateTime.UtcNow.AddMinutes(1));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(before, keys.Current);
    }

    [Theory]
    [InlineData("private")]
    [InlineData("p384")]
    [InlineData("rsa1024")]
    public void LoadPem_KeyThatCannotSignPartnerTokens_IsRefusedNamingTheFile(string kind)
    {
        string file = Path.Combine(_folder, kind + ".pem");
        using var rsa1024 = RSA.Create(1024);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        File.WriteAllText(file, kind switch
        {
            "private" => _rsa.ExportPkcs8PrivateKeyPem(),
            "p384" => p384.ExportSubjectPublicKeyInfoPem(),
            _ => rsa1024.ExportSubjectPublicKeyInfoPem(),
        });

        var error = Assert.Throws<ArgumentException>(() => PartnerKeys.LoadPem(file));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadJwks_KeepsOnlyRsaAndP256SigningKeys()
    {
        string file = Path.Combine(_folder, "jwks.json");
        File.WriteAllText(file, """
            { "keys": [
              { "kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI" },
              { "kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB" },
              { "kty": "RSA", "kid": "rs512", "alg": "RS512", "n": "sXch", "e": "AQAB" },
              { "kty": "RSA", "kid": "good-rsa", "use": "sig", "n": "sXch", "e": "AQAB" },
              { "kty": "EC", "kid": "good-ec", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
              { "kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA" }
            ] }
            """);

        var keys = PartnerKeys.LoadJwks(file);

        Assert.Equal(["good-ec", "good-rsa"], keys.Select(k => k.KeyId).Order());
    }

    [Theory]
    [InlineData(null, "Collector:Partners:Issuer")]
    [InlineData("missing.pem", "Collector:Partners:KeyFiles:1")]
    public void Validate_BadPartnerOptions_NamesTheKey(string? extraKeyFile, string key)
    {
        var options = new PartnerOptions { Issuer = extraKeyFile is null ? null : Issuer };
        options.KeyFiles.Add(_options.KeyFiles[0]);
        if (extraKeyFile is not null)
        {
            options.KeyFiles.Add(Path.Combine(_folder, extraKeyFile));
        }

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(options.Validate);

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_IssuerWithoutKeys_IsRefused()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(new PartnerOptions { Issuer = Issuer }.Validate);

        Assert.Contains("KeyFiles", error.Message, StringComparison.Ordinal);
    }

    private PartnerTokens Tokens() => new(new PartnerKeys(_options, _time), _options, _time);

    private string Mint(DateTimeOffset? expires = null, DateTimeOffset? notBefore = null, object? roles = null, RSA? signingKey = null, string? keyId = "issuer-1")
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = _options.Audience,
            NotBefore = (notBefore ?? Start.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? Start.AddMinutes(10)).UtcDateTime,
            IssuedAt = (notBefore ?? Start.AddMinutes(-1)).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = "unit", ["tid"] = "acme", ["roles"] = roles ?? new[] { "ingest" } },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signingKey ?? _rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
