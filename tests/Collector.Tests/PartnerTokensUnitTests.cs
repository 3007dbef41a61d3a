using Convoy.Collector.Authentication;
using Convoy.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tests;

/// <summary>
/// The collector's side of partner tokens: the shared verifier's roles mapped to what a partner
/// may do here, the collector's own refusal when no partner keys are configured, and the
/// <c>Collector:Partners</c> section. The verification itself: <see cref="BearerTokenVerifierUnitTests"/>.
/// </summary>
public sealed class PartnerTokensUnitTests : IDisposable
{
    private readonly TestTokenIssuer _issuer = new();

    [Theory]
    [InlineData("array", 3)]
    [InlineData("string", 3)]
    [InlineData("single", 2)]
    [InlineData("unknown", 0)]
    public async Task VerifyAsync_Roles_AreWhatAPartnerMayDoHere_OthersIgnored(string form, int expectedRoles)
    {
        var expected = (PartnerRoles)expectedRoles; // 1 ingest, 2 alerts:read
        object roles = form switch
        {
            "array" => new[] { "ingest", "alerts:read", "billing" },
            "string" => "ingest alerts:read billing",
            "single" => "alerts:read",
            _ => new[] { "admin", "viewer" },
        };

        var verdict = await new PartnerTokens(_issuer.Verifier()).VerifyAsync(_issuer.Mint(roles: roles));

        Assert.Equal(expected, verdict.Partner!.Roles);
        Assert.Equal(("acme", "unit", TestTokenIssuer.KeyId), (verdict.Partner.Tenant, verdict.Partner.Subject, verdict.Partner.KeyId));
    }

    [Fact]
    public async Task VerifyAsync_RefusedToken_KeepsTheVerifiersReasonAndTheUnverifiedSubject()
    {
        var verdict = await new PartnerTokens(_issuer.Verifier()).VerifyAsync(_issuer.Mint(expires: TestTokenIssuer.Start.AddMinutes(-5)));

        Assert.Null(verdict.Partner);
        Assert.Equal("token-expired", verdict.Reason);
        Assert.StartsWith("the token expired at ", verdict.Problem, StringComparison.Ordinal);
        Assert.Equal("unit", verdict.Subject);
    }

    [Fact]
    public async Task VerifyAsync_WithoutConfiguredKeys_RefusesEveryTokenSayingSo()
    {
        var verdict = await new PartnerTokens(new BearerTokenVerifier(null, new CollectorOptions().Partners, _issuer.Time)).VerifyAsync(_issuer.Mint());

        Assert.Null(verdict.Partner);
        Assert.Equal("partners-not-configured", verdict.Reason);
        Assert.Contains("Collector:Partners", verdict.Problem, StringComparison.Ordinal);
        Assert.Contains("device certificate", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Partners_BoundFromCollectorPartners_KeepTheCollectorsAudienceUnlessSet()
    {
        var options = Bind(("Collector:Partners:Issuer", TestTokenIssuer.Issuer), ("Collector:Partners:KeyFiles:0", _issuer.KeyFile));

        Assert.Equal((TestTokenIssuer.Issuer, "convoy-collector", 1, 30), (options.Partners.Issuer, options.Partners.Audience, options.Partners.KeyFiles.Count, options.Partners.ClockSkewSeconds));
        Assert.Equal("elsewhere", Bind(("Collector:Partners:Audience", "elsewhere")).Partners.Audience);
    }

    [Theory]
    [InlineData(null, "Collector:Partners:Issuer")]
    [InlineData("missing.pem", "Collector:Partners:KeyFiles:1")]
    public void Validate_BadPartnerOptions_NamesTheKey(string? extraKeyFile, string key)
    {
        var options = extraKeyFile is null
            ? Bind(("Collector:Partners:KeyFiles:0", _issuer.KeyFile))
            : Bind(("Collector:Partners:Issuer", TestTokenIssuer.Issuer), ("Collector:Partners:KeyFiles:0", _issuer.KeyFile),
                ("Collector:Partners:KeyFiles:1", _issuer.Folder.File(extraKeyFile)));

        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new CollectorOptionsValidator(), options));

        Assert.Contains($"Configuration '{key}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_IssuerWithoutKeys_IsRefused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new CollectorOptionsValidator(), Bind(("Collector:Partners:Issuer", TestTokenIssuer.Issuer))));

        Assert.Contains("Collector:Partners:KeyFiles", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_JwksFileThatIsNoKeySet_StopsTheStartNamingTheSetting()
    {
        string jwks = _issuer.Folder.File("partners.jwks.json");
        File.WriteAllText(jwks, "not json");

        var error = Assert.Throws<OptionsValidationException>(() => CollectorHost.Build(
        [
            "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={_issuer.Folder.File("dev-certs")}", "--Collector:Port=0", "--Collector:MetricsPort=-1",
            "--Kafka:Embedded=true", $"--Collector:Partners:Issuer={TestTokenIssuer.Issuer}", $"--Collector:Partners:JwksFile={jwks}",
        ]));

        Assert.StartsWith($"Configuration 'Collector:Partners:JwksFile' could not be loaded: {jwks} is not a JSON Web Key Set", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The collector's options as its host binds them.</summary>
    private static CollectorOptions Bind(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build()
            .GetSection(CollectorOptions.SectionName).Get<CollectorOptions>()!;

    public void Dispose() => _issuer.Dispose();
}
