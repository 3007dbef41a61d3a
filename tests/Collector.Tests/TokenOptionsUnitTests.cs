using Convoy.Tokens;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tests;

/// <summary>
/// <see cref="TokenOptions"/> serve every program that takes tokens, each binding them from its own
/// section: the validator names the keys of the section it was given.
/// </summary>
public sealed class TokenOptionsUnitTests : IDisposable
{
    private readonly TestTokenIssuer _issuer = new();

    [Theory]
    [InlineData("Collector:Partners", "no-issuer", "Configuration 'Collector:Partners:Issuer' is not set")]
    [InlineData("FleetHistory:Tokens", "no-issuer", "Configuration 'FleetHistory:Tokens:Issuer' is not set")]
    [InlineData("FleetHistory:Tokens", "no-audience", "Configuration 'FleetHistory:Tokens:Audience' must not be empty")]
    [InlineData("FleetHistory:Tokens", "missing-key-file", "Configuration 'FleetHistory:Tokens:KeyFiles:1' names '")]
    [InlineData("FleetHistory:Tokens", "missing-jwks", "Configuration 'FleetHistory:Tokens:JwksFile' names '")]
    [InlineData("FleetHistory:Tokens", "issuer-without-keys",
        "Configuration 'FleetHistory:Tokens:Issuer' is set but no FleetHistory:Tokens:KeyFiles or FleetHistory:Tokens:JwksFile is")]
    [InlineData("Collector:Partners", "skew", "Configuration 'Collector:Partners:ClockSkewSeconds' must be 0..300, was 301.")]
    [InlineData("FleetHistory:Tokens", "skew", "Configuration 'FleetHistory:Tokens:ClockSkewSeconds' must be 0..300, was 301.")]
    public void Validate_BadOptions_NamesTheKeyInTheSectionItWasGiven(string section, string fault, string expected)
    {
        var options = new TokenOptions { Issuer = TestTokenIssuer.Issuer, Audience = "convoy-fleet-history" };
        options.KeyFiles.Add(_issuer.KeyFile);
        switch (fault)
        {
            case "no-issuer": options.Issuer = " "; break;
            case "no-audience": options.Audience = null; break;
            case "missing-key-file": options.KeyFiles.Add(_issuer.Folder.File("missing.pem")); break;
            case "missing-jwks": options.JwksFile = _issuer.Folder.File("missing.json"); break;
            case "issuer-without-keys": options.KeyFiles.Clear(); break;
            default: options.ClockSkewSeconds = 301; break;
        }

        var result = new TokenOptionsValidator(section).Validate(Options.DefaultName, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeysWithIssuerAndAudience_OrNothingAtAll_Pass()
    {
        var validator = new TokenOptionsValidator("FleetHistory:Tokens");

        Assert.True(validator.Validate(Options.DefaultName, _issuer.Options).Succeeded);
        Assert.True(validator.Validate(Options.DefaultName, new TokenOptions()).Succeeded);
    }

    public void Dispose() => _issuer.Dispose();
}
