using Convoy.EdgeAgent.Simulation;
using Convoy.EdgeAgent.Uplink;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent;

/// <summary>Builds the edge agent host: sensor inputs (the simulator, for now) → buffer → uplink.</summary>
public static class EdgeAgentHost
{
    public const string Help = """
        Convoy edge agent: reads a truck's sensors, buffers the batches and streams them to a
        collector over mutual-TLS gRPC, deleting a batch only once the collector acknowledged it.
        Its input so far is the truck simulator (one device, and certificate, per simulated truck).

        Usage: Convoy.EdgeAgent [--Key=Value ...]
        Every setting can also come from appsettings.json or an environment variable
        (EdgeAgent__Simulator__Trucks=3).

          --EdgeAgent:Collectors:0=https://host:port     collector address; :1, :2 ... are fallbacks
          --EdgeAgent:TrustRoots=PEM                     CA the collector's certificate must chain to
          --EdgeAgent:CertificatesFolder=DIR             devices/<tenant>/<device>.crt|.key (.convoy/dev-certs)
          --EdgeAgent:DevCertificates=true               issue missing device certificates with DIR/ca.key (development only;
                                                         automatic in the Development environment when TrustRoots is not set)
          --EdgeAgent:BufferCapacity=N                   batches kept per device until acknowledged (10000)
          --EdgeAgent:ReconnectDelay=hh:mm:ss            first reconnect delay, doubling with jitter (00:00:00.5)
          --EdgeAgent:ReconnectMaxDelay=hh:mm:ss         longest reconnect delay (00:00:30)
          --EdgeAgent:Simulator:Tenant=ID                tenant of the simulated trucks (acme)
          --EdgeAgent:Simulator:Trucks=N                 number of trucks (0: required)
          --EdgeAgent:Simulator:DevicePrefix=P           device ids P-001, P-002 ... (truck)
          --EdgeAgent:Simulator:TimeScale=X              simulated seconds per real second (1)
          --EdgeAgent:Simulator:StartInPast=d.hh:mm:ss   start simulated time this far back (0)
          --EdgeAgent:Simulator:BatchSpan=hh:mm:ss       simulated time per batch (00:00:10)
          --EdgeAgent:Simulator:SampleInterval=hh:mm:ss  time between readings (00:00:01)
          --EdgeAgent:Simulator:ReeferFailures=N         the first N trucks' reefer compressors fail (0)
          --EdgeAgent:Simulator:ReeferFailureAfter=hh:mm:ss  ...this long after the start (00:03:00)
          --EdgeAgent:Simulator:ReeferRepairAfter=hh:mm:ss   ...and are repaired this long after failing (0 = never)
          --EdgeAgent:Simulator:Seed=N                   random seed (1)
        """;

    /// <summary>Builds the agent from command-line style arguments; <paramref name="configureServices"/> lets tests add services.</summary>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = new EdgeAgentOptions();
        builder.Configuration.GetSection(EdgeAgentOptions.SectionName).Bind(options);
        if (builder.Environment.IsDevelopment() && options.TrustRoots is null)
        {
            // Development (e.g. `dotnet run`, via launchSettings.json) with no trust roots: use the
            // development CA the collector makes in the same folder. Never done in Production.
            options.DevCertificates = true;
        }

        options.Validate();
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EdgeAgentMetrics>();
        builder.Services.AddSingleton<SimulatedFleet>();
        builder.Services.AddHostedService<SimulatorService>();
        builder.Services.AddHostedService<UplinkService>();
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }
}
