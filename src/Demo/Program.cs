using System.Globalization;
using System.Runtime.InteropServices;
using Convoy.AlertEngine;
using Convoy.Collector;
using Convoy.Demo;
using Convoy.EdgeAgent;
using Convoy.FleetHistory;
using Convoy.Kafka.Embedded;
using Convoy.TenantConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

var (options, error) = DemoOptions.Parse(args);
if (options.ShowHelp)
{
    Console.WriteLine(DemoOptions.Help);
    return 0;
}

if (error is not null)
{
    Console.Error.WriteLine(error);
    return 2;
}

string[] tenants = ["acme", "globex"];
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
if (options.Duration is { } duration)
{
    stop.CancelAfter(duration);
}

string folder = Path.GetFullPath(options.Folder);
string certificates = Path.Combine(folder, "certs");
using var log = new DemoLog(Path.Combine(folder, "demo.log"));
Console.WriteLine("Starting the embedded Kafka cluster (librdkafka's mock cluster: IN MEMORY ONLY, nothing survives this process) ...");
using var kafka = EmbeddedKafkaCluster.Start(brokerCount: 1);
kafka.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
foreach (string tenant in tenants)
{
    kafka.CreateTopic("telemetry." + tenant, partitions: 4);
    kafka.CreateTopic("alerts." + tenant, partitions: 4);
}

void Shared(IServiceCollection services)
{
    services.AddSingleton(kafka);
    services.AddLogging(logging => logging.ClearProviders().AddProvider(log));
}

using var dashboard = new FleetDashboard(tenants);
WebApplication? collector = null;
IHost? engine = null;
WebApplication? history = null;
WebApplication? console = null;
using var tokens = new DemoTokens(Path.Combine(folder, "tokens"), tenants);
var agents = new List<IHost>();
Task? alertsReader = null;
var started = DateTime.UtcNow;
Uri? address = null;
try
{
    Console.WriteLine($"Starting the collector with development certificates in {certificates} ...");
    collector = CollectorHost.Build(["--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={certificates}"], Shared);
    await collector.StartAsync(stop.Token);
    address = CollectorHost.Address(collector);

    // The tenants' rule files, laid anew each run from the demo's own (src/Demo/rules): the engine
    // runs them and the read side reports them (GetRules) and takes device tags from them. Edit
    // the copy while the demo runs: both follow it.
    string rules = Path.Combine(folder, "rules");
    Directory.CreateDirectory(rules);
    foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "rules"), "*.yaml"))
    {
        File.Copy(file, Path.Combine(rules, Path.GetFileName(file)), overwrite: true);
    }

    Console.WriteLine($"Starting the alert engine with the rule files in {rules} (a reefer zone above 8 degC for 5 min, depot and no-go geofences) ...");
    engine = AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", "--AlertEngine:GroupId=convoy-demo-alert-engine", $"--AlertEngine:RulesFolder={rules}"], Shared);
    await engine.StartAsync(stop.Token);

    // The embedded Kafka starts empty every run, so the read side's store does too: its offsets
    // would otherwise point past this run's records.
    string store = Path.Combine(folder, "fleet-history");
    if (Directory.Exists(store))
    {
        Directory.Delete(store, recursive: true);
    }

    Console.WriteLine($"Starting the fleet history read side (projections into DuckDB in {store}, query API) ...");
    history = FleetHistoryHost.Build(
    [
        $"--FleetHistory:DataFolder={store}",
        "--FleetHistory:GroupId=convoy-demo-fleet-history",
        $"--FleetHistory:HttpPort={options.QueryPort}",
        $"--FleetHistory:GrpcPort={options.GrpcPort}",
        $"--FleetHistory:Tokens:Issuer={DemoTokens.Issuer}",
        $"--FleetHistory:Tokens:KeyFiles:0={tokens.KeyFile}",
        $"--FleetHistory:RulesFolder={rules}",
    ], Shared);
    try
    {
        await history.StartAsync(stop.Token);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"The fleet history query API cannot listen ({e.Message}); pass --query-port 0 --grpc-port 0 for any free ports.");
        return 2;
    }

    var queries = FleetHistoryHost.HttpAddress(history);
    Console.WriteLine($"Query API: {queries} (HTTP/JSON) and {FleetHistoryHost.GrpcAddress(history)} (gRPC). As a dispatcher of acme:");
    Console.WriteLine($"  curl -H \"Authorization: Bearer $(cat {tokens.TokenFiles["acme"]})\" {queries}v1/fleet/state");
    Console.WriteLine($"  curl -H \"Authorization: Bearer $(cat {tokens.TokenFiles["acme"]})\" {queries}v1/rules");
    Console.WriteLine($"  curl -N -H \"Authorization: Bearer $(cat {tokens.TokenFiles["acme"]})\" {queries}v1/fleet/watch");
    Console.WriteLine($"As acme's admin, rebuild its projections from its topics while the live ones keep answering:");
    Console.WriteLine($"  dotnet run --project src/FleetHistory -- rebuild --tenant acme --from-beginning --token-file {Path.GetFullPath(tokens.AdminTokenFiles["acme"])} --url {FleetHistoryHost.GrpcAddress(history)}");

    console = TenantConsoleHost.Build(
    [
        $"--TenantConsole:Port={options.ConsolePort}",
        $"--TenantConsole:FleetHistoryUrl={FleetHistoryHost.GrpcAddress(history)}",
        $"--TenantConsole:DevSignIn:SigningKeyFile={tokens.SigningKeyFile}",
        $"--TenantConsole:DevSignIn:Issuer={DemoTokens.Issuer}",
        .. tenants.Select(static (t, i) => $"--TenantConsole:DevSignIn:Tenants:{i}={t}"),
    ], environment: "Development", configureServices: Shared);
    try
    {
        await console.StartAsync(stop.Token);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"The tenant console cannot listen ({e.Message}); pass --console-port 0 for any free port.");
        return 2;
    }

    Console.WriteLine($"Tenant console: {TenantConsoleHost.Address(console)} (sign in as a dispatcher of acme or globex: the Development sign-in)");

    string hoursBack = TimeSpan.FromHours(options.HoursBack).ToString("c", CultureInfo.InvariantCulture);
    for (int i = 0; i < tenants.Length; i++)
    {
        Console.WriteLine($"Starting {options.TrucksPerTenant} simulated trucks of tenant {tenants[i]} ...");
        var agent = EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={address}",
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={certificates}",
            $"--EdgeAgent:Simulator:Tenant={tenants[i]}",
            $"--EdgeAgent:Simulator:Trucks={options.TrucksPerTenant}",
            $"--EdgeAgent:Simulator:TimeScale={options.TimeScale.ToString(CultureInfo.InvariantCulture)}",
            $"--EdgeAgent:Simulator:StartInPast={hoursBack}",
            "--EdgeAgent:Simulator:ReeferFailures=1",
            // Each tenant's failing reefer fails at a different simulated time.
            $"--EdgeAgent:Simulator:ReeferFailureAfter={TimeSpan.FromMinutes(10 + (i * 15)).ToString("c", CultureInfo.InvariantCulture)}",
            "--EdgeAgent:Simulator:ReeferRepairAfter=00:40:00",
            $"--EdgeAgent:Simulator:Seed={i + 1}",
        ], Shared);
        await agent.StartAsync(stop.Token);
        agents.Add(agent);
    }

    alertsReader = Task.Factory.StartNew(() => dashboard.ReadAlerts(kafka.BootstrapServers, stop.Token), stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    bool interactive = !Console.IsOutputRedirected;
    int tick = 0;
    while (!stop.IsCancellationRequested)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
        }
        catch (OperationCanceledException)
        {
            break;
        }

        tick++;
        if (interactive)
        {
            Console.Write("\u001b[H\u001b[J" + dashboard.Render(DateTime.UtcNow - started, kafka.BootstrapServers, address, ReadSide(), ConsoleAddress(), log.Recent, log.FilePath));
        }
        else if (tick % 5 == 0)
        {
            Console.WriteLine(dashboard.Render(DateTime.UtcNow - started, kafka.BootstrapServers, address, ReadSide(), ConsoleAddress(), log.Recent, log.FilePath));
        }
    }

    Console.WriteLine("Stopping: trucks first, then the collector (acks for what landed), then the alert engine and the read side ...");
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine("Stopped while starting.");
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
finally
{
    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    foreach (var agent in agents)
    {
        await StopQuietly(agent, grace.Token);
    }

    if (collector is not null)
    {
        await collector.StopAsync(grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        await collector.DisposeAsync();
    }

    if (engine is not null)
    {
        await StopQuietly(engine, grace.Token);
    }

    if (console is not null)
    {
        await console.StopAsync(grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        await console.DisposeAsync();
        console = null;
    }

    if (history is not null)
    {
        await history.StopAsync(grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        await history.DisposeAsync();
        history = null;
    }

    if (alertsReader is not null)
    {
        await alertsReader;
    }
}

if (address is not null)
{
    Console.WriteLine(dashboard.Render(DateTime.UtcNow - started, kafka.BootstrapServers, address, ReadSide(), ConsoleAddress(), log.Recent, log.FilePath, stopped: true));
}

Console.WriteLine("Stopped.");
return 0;

// The read side's line on the screen: where to query, how to sign in, and how far behind it is.
(Uri Queries, string Token, long Lag)? ReadSide() =>
    history is null ? null : (FleetHistoryHost.HttpAddress(history), tokens.TokenFiles["acme"], FleetHistoryHost.ProjectionLag(history));

Uri? ConsoleAddress() => console is null ? null : TenantConsoleHost.Address(console);

static async Task StopQuietly(IHost host, CancellationToken grace)
{
    try
    {
        await host.StopAsync(grace);
    }
    catch (OperationCanceledException)
    {
        // Out of patience: the process is exiting anyway.
    }

    host.Dispose();
}
