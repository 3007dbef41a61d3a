using System.Security.Claims;
using System.Security.Cryptography;
using Convoy.Contracts.Fleet;
using Convoy.TenantConsole.SignIn;
using Microsoft.Extensions.Options;

namespace Convoy.TenantConsole.Tests;

public sealed class ConsoleOptionsUnitTests
{
    [Fact]
    public void A_console_without_any_sign_in_is_refused_naming_the_setting()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new TenantConsoleOptionsValidator(), new TenantConsoleOptions()));
        Assert.Contains("'TenantConsole:Oidc:Authority' is not set", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_identity_provider_on_plain_http_is_refused_unless_the_setting_says_it_is_local()
    {
        var options = new TenantConsoleOptions { Oidc = { Authority = "http://idp.example", ClientId = "console" } };
        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new TenantConsoleOptionsValidator(), options));
        Assert.Contains("'TenantConsole:Oidc:Authority' must be https", refused.Message, StringComparison.Ordinal);

        options.Oidc.RequireHttpsMetadata = false;
        OptionsChecks.Validate(new TenantConsoleOptionsValidator(), options);
    }

    [Fact]
    public void Bad_read_side_and_tile_addresses_are_refused_with_what_they_must_be()
    {
        var options = new TenantConsoleOptions { FleetHistoryUrl = "127.0.0.1:5090", TileUrl = "https://tiles.example/{z}/{x}.png", Oidc = { Authority = "https://idp.example", ClientId = "console" } };
        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new TenantConsoleOptionsValidator(), options));
        Assert.Contains("'TenantConsole:FleetHistoryUrl' must be an absolute http:// or https:// address", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'TenantConsole:TileUrl' must be an http(s) URL template with {z}, {x} and {y}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dev_sign_in_is_refused_outside_Development_with_one_clear_line()
    {
        using var folder = new TempFolder("console-options");
        string key = Path.Combine(folder.Path, "dev.key");
        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(key, ec.ExportPkcs8PrivateKeyPem());
        }

        string[] args = ["--TenantConsole:Port=0", "--TenantConsole:DevSignIn:Tenants:0=acme", $"--TenantConsole:DevSignIn:SigningKeyFile={key}"];
        var refused = Assert.ThrowsAny<Exception>(() => TenantConsoleHost.Build(args, environment: "Production"));
        string message = refused is AggregateException all ? string.Join(" ", all.InnerExceptions.Select(static e => e.Message)) : refused.Message;
        Assert.Contains("'TenantConsole:DevSignIn:Tenants' is set in the 'Production' environment", message, StringComparison.Ordinal);

        // The same settings are fine in Development.
        using var app = TenantConsoleHost.Build(args, environment: "Development");
    }

    [Fact]
    public void The_help_shows_the_defaults_the_code_has() =>
        Assert.True(OptionsChecks.AssertHelpShowsTheDefaults(TenantConsoleHost.Help, (TenantConsoleOptions.SectionName, () => new TenantConsoleOptions())) >= 5);

    [Theory]
    [InlineData("/alerts", "/alerts")]
    [InlineData("/trucks/acme-1?from=1", "/trucks/acme-1?from=1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData(null, "/")]
    public void After_sign_in_only_a_local_page_is_returned_to(string? returnUrl, string expected) =>
        Assert.Equal(expected, ConsoleSignIn.LocalOnly(returnUrl));

    [Fact]
    public void A_sign_in_counts_only_with_a_tenant_a_known_role_and_a_read_side_token()
    {
        static ClaimsPrincipal With(params (string Type, string Value)[] claims) =>
            new(new ClaimsIdentity(claims.Select(static c => new Claim(c.Type, c.Value)), "test"));

        var user = TenantUser.From(With(("tid", "acme"), ("sub", "ann"), ("role", "viewer"), ("role", "analyst"), ("convoy:read-side-token", "t")));
        Assert.NotNull(user);
        Assert.Equal(("acme", FleetRole.Analyst, true), (user!.Tenant, user.Role, user.CanRunReports));

        Assert.Null(TenantUser.From(With(("sub", "ann"), ("role", "viewer"), ("convoy:read-side-token", "t"))));
        Assert.Null(TenantUser.From(With(("tid", "ACME!"), ("sub", "ann"), ("role", "viewer"), ("convoy:read-side-token", "t"))));
        Assert.Null(TenantUser.From(With(("tid", "acme"), ("sub", "ann"), ("role", "driver"), ("convoy:read-side-token", "t"))));
        Assert.Null(TenantUser.From(With(("tid", "acme"), ("sub", "ann"), ("role", "viewer"))));
        Assert.Equal(FleetRole.Admin, FleetRoles.Highest(["viewer admin", "analyst"]));
    }
}
