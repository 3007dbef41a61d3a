using Convoy.FleetHistory;
using Convoy.Kafka.Embedded;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.TestKit;

/// <summary>
/// A real fleet history program (projector and query API) on an embedded Kafka (usually a
/// <see cref="TestCollector"/>'s), with its store in a folder of its own, any free ports, a
/// consumer group of its own and a short flush interval. Tokens are verified against
/// <see cref="TestPartner"/>'s keys, or a <see cref="TestIdentityProvider"/>'s. Disposing stops it
/// and fails the test when it logged an error the test did not expect; <see cref="RestartAsync"/>
/// keeps the store, as a real restart does.
/// </summary>
public sealed class TestFleetHistory : IAsyncDisposable
{
    public const string Audience = "convoy-fleet-history";
    private readonly TempFolder? _ownedFolder;
    private readonly string[] _args;
    private readonly Action<IServiceCollection> _services;
    private GrpcChannel? _channel;

    private TestFleetHistory(WebApplication app, TestLogs logs, string folder, TempFolder? ownedFolder, string[] args, Action<IServiceCollection> services)
    {
        App = app;
        Logs = logs;
        Folder = folder;
        _ownedFolder = ownedFolder;
        _args = args;
        _services = services;
    }

    public WebApplication App { get; private set; }

    public TestLogs Logs { get; }

    /// <summary>The store's folder (one DuckDB file per tenant).</summary>
    public string Folder { get; }

    public Uri GrpcAddress => FleetHistoryHost.GrpcAddress(App);

    public Uri HttpAddress => FleetHistoryHost.HttpAddress(App);

    /// <summary>Starts one on <paramref name="kafka"/>, trusting <paramref name="issuer"/>'s keys, with the extra switches.</summary>
    public static Task<TestFleetHistory> StartAsync(EmbeddedKafkaCluster kafka, TestPartner issuer, string? folder = null, params string[] switches) =>
        StartAsync(kafka, issuer.TokenSwitches("FleetHistory:Tokens", Audience), folder, switches);

    /// <summary>Starts one on <paramref name="kafka"/>, trusting the tokens of <paramref name="provider"/> (the console's users'), with the extra switches.</summary>
    public static Task<TestFleetHistory> StartAsync(EmbeddedKafkaCluster kafka, TestIdentityProvider provider, string? folder = null, params string[] switches) =>
        StartAsync(kafka, provider.ReadSideSwitches(Audience), folder, switches);

    /// <summary>
    /// Starts one on the brokers at <paramref name="bootstrapServers"/> instead of an embedded
    /// cluster (e.g. a closed loopback port, to see it not ready), trusting <paramref name="issuer"/>'s keys.
    /// </summary>
    public static Task<TestFleetHistory> StartOnBrokersAsync(string bootstrapServers, TestPartner issuer, params string[] switches) =>
        StartAsync(null, issuer.TokenSwitches("FleetHistory:Tokens", Audience), null, [$"--Kafka:BootstrapServers={bootstrapServers}", .. switches]);

    private static async Task<TestFleetHistory> StartAsync(EmbeddedKafkaCluster? kafka, string[] tokenSwitches, string? folder, string[] switches)
    {
        var owned = folder is null ? new TempFolder("fleet-history") : null;
        string dataFolder = folder ?? owned!.Path;
        string[] args =
        [
            "--FleetHistory:GrpcPort=0", "--FleetHistory:HttpPort=0", $"--FleetHistory:DataFolder={dataFolder}",
            "--FleetHistory:FlushMilliseconds=50", "--FleetHistory:GroupId=test-" + Guid.NewGuid().ToString("N"),
            "--Kafka:ConsumerProperties:session.timeout.ms=6000",
            .. tokenSwitches, .. switches,
        ];
        var logs = new TestLogs();
        void Services(IServiceCollection services)
        {
            services.AddSingleton(logs.Provider);
            if (kafka is not null)
            {
                services.AddSingleton(kafka);
            }
        }

        var app = FleetHistoryHost.Build(args, Services);
        await app.StartAsync();
        return new TestFleetHistory(app, logs, dataFolder, owned, args, Services);
    }

    /// <summary>A token of <paramref name="tenant"/> with <paramref name="roles"/>, signed by the issuer's EC key, for this API's audience.</summary>
    public static string Token(TestPartner issuer, string tenant, string roles = "viewer") =>
        TestPartner.Mint(issuer.EcSigning, tenant, roles, audience: Audience);

    /// <summary>A gRPC client (HTTP/2 without TLS); pass <see cref="TestPartner.Bearer"/> headers per call.</summary>
    public Contracts.Fleet.V1.FleetHistory.FleetHistoryClient Client()
    {
        _channel ??= GrpcChannel.ForAddress(GrpcAddress);
        return new Contracts.Fleet.V1.FleetHistory.FleetHistoryClient(_channel);
    }

    /// <summary>Stops the program and starts a new one with the same switches, store and Kafka, on new ports.</summary>
    public async Task RestartAsync()
    {
        _channel?.Dispose();
        _channel = null;
        await App.StopAsync();
        await App.DisposeAsync();
        App = FleetHistoryHost.Build(_args, _services);
        await App.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Logs.AssertNoUnexpectedErrors();
        Logs.Dispose();
        _ownedFolder?.Dispose();
    }
}
