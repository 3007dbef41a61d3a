using System.Security.Cryptography;
using Convoy.Tokens;

namespace Convoy.Collector.Tests;

/// <summary>The token signing keys (src/Tokens): loading, following the files on disk, and logging reloads to the logger they were given.</summary>
public sealed class TokenKeysUnitTests : IDisposable
{
    private readonly TestTokenIssuer _issuer = new();
    private readonly TestLogs _logs = new();

    [Fact]
    public async Task ChangedKeyFile_IsReadAgainAfterASecond()
    {
        var verifier = _issuer.Verifier(_issuer.Keys(_logs));
        using var next = RSA.Create(2048);
        string rotated = _issuer.Mint(signingKey: next);
        Assert.Equal("token-bad-signature", (await verifier.VerifyAsync(rotated)).Reason);

        TestTokenIssuer.Rewrite(_issuer.KeyFile, next.ExportSubjectPublicKeyInfoPem());
        Assert.Equal("token-bad-signature", (await verifier.VerifyAsync(rotated)).Reason); // checked at most once a second
        _issuer.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotNull((await verifier.VerifyAsync(rotated)).Bearer);
    }

    [Fact]
    public void Reload_IsLoggedToTheLoggerGivenToTheConstructor()
    {
        var keys = _issuer.Keys(_logs);
        using var next = RSA.Create(2048);

        TestTokenIssuer.Rewrite(_issuer.KeyFile, next.ExportSubjectPublicKeyInfoPem());
        _issuer.Time.Advance(TimeSpan.FromSeconds(1));
        _ = keys.Current;

        var reload = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Id.Name == "TokenKeysReloaded");
        Assert.Equal("Reloaded the token signing keys: 1 key(s) in use", reload.Message);
        _logs.AssertNoUnexpectedErrors();
    }

    [Fact]
    public void UnreadableFileOnReload_KeepsTheKeysInUse_AndSaysSo()
    {
        var keys = _issuer.Keys(_logs.ExpectErrors("TokenKeysReloadFailed"));
        var before = keys.Current;

        TestTokenIssuer.Rewrite(_issuer.KeyFile, "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n");
        _issuer.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(before, keys.Current);
        Assert.Equal(1, _logs.Count("TokenKeysReloadFailed"));
    }

    [Theory]
    [InlineData("private")]
    [InlineData("p384")]
    [InlineData("rsa1024")]
    public void Constructor_KeyThatCannotSignTokens_IsRefusedNamingTheFile(string kind)
    {
        string file = _issuer.Folder.File(kind + ".pem");
        using var rsa1024 = RSA.Create(1024);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        File.WriteAllText(file, kind switch
        {
            "private" => _issuer.Rsa.ExportPkcs8PrivateKeyPem(),
            "p384" => p384.ExportSubjectPublicKeyInfoPem(),
            _ => rsa1024.ExportSubjectPublicKeyInfoPem(),
        });

        var error = Assert.Throws<ArgumentException>(() => new TokenKeys([_issuer.KeyFile, file], null, _issuer.Time, _logs));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_JwksFileThatIsNoKeySet_IsRefusedNamingTheFile()
    {
        string file = _issuer.Folder.File("jwks.json");
        File.WriteAllText(file, "{ \"keys\": [ ");

        var error = Assert.Throws<ArgumentException>(() => new TokenKeys([], file, _issuer.Time, _logs));

        Assert.StartsWith(file + " is not a JSON Web Key Set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadJwks_KeepsOnlyRsaAndP256SigningKeys()
    {
        string file = _issuer.Folder.File("jwks.json");
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

        var keys = TokenKeys.LoadJwks(file);

        Assert.Equal(["good-ec", "good-rsa"], keys.Select(k => k.KeyId).Order());
    }

    public void Dispose()
    {
        _logs.Dispose();
        _issuer.Dispose();
    }
}
