using System.Net;
using Convoy.Kafka.Embedded;
using Convoy.TenantConsole.Tests.Kit;

namespace Convoy.TenantConsole.Tests;

/// <summary>
/// What an orchestrator probes on the console's port, with no sign-in: /healthz (the process
/// serves) and /readyz (the read side answers), 503 naming the read side when it does not.
/// </summary>
public sealed class HealthEndpointTests : IDisposable
{
    private readonly TempFolder _folder = new("console-health");
    private readonly TestPartner _issuer;
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false });

    public HealthEndpointTests() => _issuer = new TestPartner(_folder.File("issuer"));

    [Fact]
    public async Task ReadSideUp_BothEndpointsAnswerHealthy_WithoutSignIn()
    {
        using var kafka = EmbeddedKafkaCluster.Start();
        await using var history = await TestFleetHistory.StartAsync(kafka, _issuer);
        await using var console = await TestConsole.StartAsync(history, "Development", TestConsole.DevSignIn(_issuer, _folder.File("dev.key"), "acme"));

        await AssertAnswersAsync(console, "/healthz", HttpStatusCode.OK, "Healthy");
        await AssertAnswersAsync(console, "/readyz", HttpStatusCode.OK, "Healthy");
    }

    [Fact]
    public async Task ReadSideOnAClosedPort_ReadyzIs503NamingTheReadSide_WhileHealthzStaysHealthy()
    {
        var readSide = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        await using var console = await TestConsole.StartAsync(readSide, "Development", TestConsole.DevSignIn(_issuer, _folder.File("dev.key"), "acme"));
        // ASP.NET Core logs each failing check at Error, naming it and why: expected while the read side is down.
        console.Logs.ExpectErrors("HealthCheckEnd");

        await AssertAnswersAsync(console, "/healthz", HttpStatusCode.OK, "Healthy");
        string report = await AssertAnswersAsync(console, "/readyz", HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"fleet-history: the read side at {readSide} cannot be reached", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnAFixedPort_AsDeployed_ReadyzAsksTheReadSide_NotFindingItsOwnPortTaken()
    {
        // Port 0 (every other test) skips the check that a port is free; a deployment names its port.
        int port = LoopbackPorts.Free();
        var readSide = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        await using var console = await TestConsole.StartAsync(readSide, "Development", [.. TestConsole.DevSignIn(_issuer, _folder.File("dev.key"), "acme"), $"--TenantConsole:Port={port}"]);
        console.Logs.ExpectErrors("HealthCheckEnd");

        Assert.Equal(port, console.Address.Port);
        string report = await AssertAnswersAsync(console, "/readyz", HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains($"fleet-history: the read side at {readSide} cannot be reached", report, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _http.Dispose();
        _issuer.Dispose();
        _folder.Dispose();
    }

    /// <summary>GETs <paramref name="path"/> with no sign-in (a redirect to it would fail here); the body's first line is the status.</summary>
    private async Task<string> AssertAnswersAsync(TestConsole console, string path, HttpStatusCode status, string firstLine)
    {
        using var response = await _http.GetAsync(new Uri(console.Address, path));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path} answered {(int)response.StatusCode}, not {(int)status}: {body}");
        Assert.Equal(firstLine, body.Split('\n')[0]);
        return body;
    }
}
