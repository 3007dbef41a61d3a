using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.TenantConsole.Tests.Kit;

/// <summary>
/// A real tenant console on any free port, reading from a <see cref="TestFleetHistory"/>, with the
/// sign-in the test gives: the dev sign-in (in Development) with the test issuer's key, or an
/// OpenID Connect provider's switches. Disposing stops it and fails the test on an unexpected error.
/// </summary>
public sealed class TestConsole : IAsyncDisposable
{
    private TestConsole(WebApplication app, TestLogs logs)
    {
        App = app;
        Logs = logs;
    }

    public WebApplication App { get; }

    public TestLogs Logs { get; }

    public Uri Address => TenantConsoleHost.Address(App);

    public static Task<TestConsole> StartAsync(TestFleetHistory history, string environment, params string[] switches)
    {
        ArgumentNullException.ThrowIfNull(history);
        return StartAsync(history.GrpcAddress, environment, switches);
    }

    /// <summary>Starts one reading from the read side at <paramref name="fleetHistory"/> (e.g. a closed port, to see it not ready).</summary>
    public static async Task<TestConsole> StartAsync(Uri fleetHistory, string environment, params string[] switches)
    {
        var logs = new TestLogs();
        var app = TenantConsoleHost.Build(
            ["--TenantConsole:Port=0", $"--TenantConsole:FleetHistoryUrl={fleetHistory}", .. switches],
            environment, services => services.AddSingleton(logs.Provider));
        await app.StartAsync();
        return new TestConsole(app, logs);
    }

    /// <summary>The dev sign-in's switches for <paramref name="tenants"/>, minting read-side tokens with <paramref name="issuer"/>'s EC key.</summary>
    public static string[] DevSignIn(TestPartner issuer, string keyFile, params string[] tenants)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        File.WriteAllText(keyFile, issuer.Ec.ExportPkcs8PrivateKeyPem());
        return
        [
            $"--TenantConsole:DevSignIn:SigningKeyFile={keyFile}",
            $"--TenantConsole:DevSignIn:Issuer={TestPartner.Issuer}",
            $"--TenantConsole:DevSignIn:KeyId={TestPartner.EcKid}",
            .. tenants.Select(static (t, i) => $"--TenantConsole:DevSignIn:Tenants:{i}={t}"),
        ];
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Logs.AssertNoUnexpectedErrors();
        Logs.Dispose();
    }
}
