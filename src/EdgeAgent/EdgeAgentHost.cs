using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.EdgeAgent.Inputs.Nmea;
using Convoy.EdgeAgent.Simulation;
using Convoy.EdgeAgent.Uplink;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Convoy.EdgeAgent;

/// <summary>Builds the edge agent host: inputs (GPS and MQTT on a truck, or the simulator) → buffer → uplink.</summary>
public static class EdgeAgentHost
{
    /// <summary>The <c>--help</c> text; every default it shows is read from a new options instance.</summary>
    public static string Help { get; } = CreateHelp(new EdgeAgentOptions(), new NmeaOptions(), new MqttOptions(), new DurableBufferOptions());

    private static string CreateHelp(EdgeAgentOptions agent, NmeaOptions nmea, MqttOptions mqtt, DurableBufferOptions buffer) => $$"""
        Convoy edge agent: reads a truck's sensors, buffers the batches and streams them to a
        collector over mutual-TLS gRPC, deleting a batch only once the collector acknowledged it.
        It runs on one real truck (EdgeAgent:Device, GPS from an NMEA 0183 receiver: serial, gpsd/TCP
        or a replayed file, see EdgeAgent:Nmea:*; other sensors from an MQTT broker, EdgeAgent:Mqtt:*), or simulates trucks (one device, and certificate, each).

        Usage: Convoy.EdgeAgent [--Key=Value ...]
               Convoy.EdgeAgent check [--folder DIR]   verify the durable buffer offline (exit 1 if damaged)
        Every setting can also come from appsettings.json or an environment variable
        (EdgeAgent__Simulator__Trucks=3).

          --EdgeAgent:Collectors:0=https://host:port     collector address; :1, :2 ... are fallbacks
          --EdgeAgent:TrustRoots=PEM                     CA the collector's certificate must chain to
          --EdgeAgent:CertificatesFolder=DIR             devices/<tenant>/<device>.crt|.key {{D(agent.CertificatesFolder)}}
          --EdgeAgent:DevCertificates=true               issue missing device certificates with DIR/ca.key (development only;
                                                         automatic in the Development environment when TrustRoots is not set)
          --EdgeAgent:BufferCapacity=N                   batches kept per device until acknowledged {{D(agent.BufferCapacity)}}
          --EdgeAgent:ReconnectDelay=hh:mm:ss            first reconnect delay, doubling with jitter {{D(agent.ReconnectDelay)}}
          --EdgeAgent:ReconnectMaxDelay=hh:mm:ss         longest reconnect delay {{D(agent.ReconnectMaxDelay)}}
          --EdgeAgent:Device:Tenant=ID                   this truck's tenant (as in its certificate)
          --EdgeAgent:Device:Id=ID                       this truck's device id; empty = simulator mode
          --EdgeAgent:Device:BatchSpan=hh:mm:ss          time one batch covers {{D(agent.Device.BatchSpan)}}
          --EdgeAgent:Nmea:Source=Tcp|Serial|File|None   GPS receiver: gpsd or a TCP bridge, a serial port, a capture,
                                                         or none {{D(nmea.Source)}}
          --EdgeAgent:Nmea:Host=H                        (Tcp) gpsd's or the bridge's host {{D(nmea.Host)}}
          --EdgeAgent:Nmea:Port=P                        (Tcp) its port {{D(nmea.Port)}}
          --EdgeAgent:Nmea:SerialPort=DEV                (Serial) the receiver's port {{D(nmea.SerialPort)}}
          --EdgeAgent:Nmea:BaudRate=N                    (Serial) bits per second, 8N1 {{D(nmea.BaudRate)}}
          --EdgeAgent:Nmea:Path=FILE                     (File) capture to replay
          --EdgeAgent:Mqtt:Enabled=true                  (truck) also read sensors from the gateway's MQTT broker {{D(mqtt.Enabled)}}
          --EdgeAgent:Mqtt:Host=H                        the broker's host {{D(mqtt.Host)}}
          --EdgeAgent:Mqtt:Port=P                        its port {{D(mqtt.Port)}}
          --EdgeAgent:Mqtt:Topics:0=FILTER               topic filters subscribed to, :1, :2 ... ({{MqttOptions.DefaultTopic}} when none)
          --EdgeAgent:Mqtt:Sensors:NAME=KIND             map a sensor name to ReeferZone1..8, FuelLevel, EngineRpm,
                                                         BatteryVoltage, ReeferDoorOpen, HumidityPercent, OdometerKm,
                                                         Custom or Ignore (docs/configuration/edge-agent.md)
          --EdgeAgent:Buffer:Folder=DIR                  (truck) durable buffer root {{D(buffer.Folder)}}
          --EdgeAgent:Buffer:MaxBytes=N                  (truck) disk budget per device {{D(buffer.MaxBytes)}}
          --EdgeAgent:Buffer:FsyncPolicy=EveryBatch|Interval|Never   {{D(buffer.FsyncPolicy)}}
          --EdgeAgent:Simulator:Tenant=ID                tenant of the simulated trucks {{D(agent.Simulator.Tenant)}}
          --EdgeAgent:Simulator:Trucks=N                 number of trucks (required: 0 sends nothing)
          --EdgeAgent:Simulator:DevicePrefix=P           device ids P-001, P-002 ... {{D(agent.Simulator.DevicePrefix)}}
          --EdgeAgent:Simulator:TimeScale=X              simulated seconds per real second {{D(agent.Simulator.TimeScale)}}
          --EdgeAgent:Simulator:StartInPast=d.hh:mm:ss   start simulated time this far back {{D(agent.Simulator.StartInPast)}}
          --EdgeAgent:Simulator:BatchSpan=hh:mm:ss       simulated time per batch {{D(agent.Simulator.BatchSpan)}}
          --EdgeAgent:Simulator:SampleInterval=hh:mm:ss  time between readings {{D(agent.Simulator.SampleInterval)}}
          --EdgeAgent:Simulator:ReeferFailures=N         the first N trucks' reefer compressors fail {{D(agent.Simulator.ReeferFailures)}}
          --EdgeAgent:Simulator:ReeferFailureAfter=hh:mm:ss  ...this long after the start {{D(agent.Simulator.ReeferFailureAfter)}}
          --EdgeAgent:Simulator:ReeferRepairAfter=hh:mm:ss   ...and are repaired this long after failing, 0 = never {{D(agent.Simulator.ReeferRepairAfter)}}
          --EdgeAgent:Simulator:Seed=N                   random seed {{D(agent.Simulator.Seed)}}
          --EdgeAgent:Simulator:Events:DoorOpeningsPerHour=X  0 = off {{D(agent.Simulator.Events.DoorOpeningsPerHour)}}; also FuelTheftsPerHour,
                                                         SpeedingPerHour, GpsLossesPerHour;
                                                         Depots:0:Name=N ... (docs/configuration/edge-agent.md)
          --EdgeAgent:Aggregation:Gps:Mode=Raw|DeadBand  {{D(agent.Aggregation.Gps.Mode)}}; per sensor: Gps, Temperature, TemperatureZones:N, Fuel, Scalars
          --EdgeAgent:Aggregation:Temperature:Mode=Raw|Window|DeadBand   {{D(agent.Aggregation.Temperature.Mode)}}; ExcursionAbove=8 keeps raw readings
                                                         around excursions (docs/configuration/edge-agent.md)
        """;

    private static string D(object? value) => SettingDefault.Of(value);

    /// <summary>
    /// Builds the agent from command-line style arguments; <paramref name="configureServices"/> lets
    /// tests add services. An invalid setting fails here, before anything is made or runs: an
    /// <see cref="OptionsValidationException"/> naming its key (an <see cref="AggregateException"/>
    /// of them when several sections are invalid).
    /// </summary>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = CreateBuilder(args);
        bool development = builder.Environment.IsDevelopment();
        var agentSection = builder.Configuration.GetSection(EdgeAgentOptions.SectionName);
        builder.Services.AddOptions<EdgeAgentOptions>().Bind(agentSection).PostConfigure(o => o.ApplyDefaults(development)).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeAgentOptions>, EdgeAgentOptionsValidator>());

        // Which inputs run is decided here, from the settings: bound into an instance for that
        // decision and checked by the same validator, so a bad setting fails now with its message.
        var options = new EdgeAgentOptions();
        agentSection.Bind(options);
        options.ApplyDefaults(development);
        ValidatedOptions.Check(new EdgeAgentOptionsValidator(), options);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EdgeAgentMetrics>();
        builder.Services.AddSingleton<BatchAdmission>();
        if (options.Device.IsConfigured)
        {
            // One real truck: GPS from its receiver (NMEA 0183), batched, buffered, uplinked.
            var nmeaSection = builder.Configuration.GetSection(NmeaOptions.SectionName);
            builder.Services.AddOptions<NmeaOptions>().Bind(nmeaSection).ValidateOnStart();
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NmeaOptions>, NmeaOptionsValidator>());
            builder.Services.AddOptions<DurableBufferOptions>().Bind(builder.Configuration.GetSection(DurableBufferOptions.SectionName)).ValidateOnStart();
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DurableBufferOptions>, DurableBufferOptionsValidator>());
            string deviceId = options.Device.Id;
            var mqttSection = builder.Configuration.GetSection(MqttOptions.SectionName);
            builder.Services.AddOptions<MqttOptions>().Bind(mqttSection).PostConfigure(o => o.ApplyDefaults(deviceId)).ValidateOnStart();
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());

            var identity = Pki.DeviceIdentity.Create(options.Device.Tenant, options.Device.Id);
            // On a real truck every batch goes to disk before it is sent (docs/design.md, guarantee 1).
            builder.Services.AddSingleton(sp => new DeviceRegistry([(identity,
                new DurableBatchLog(identity.Tenant, identity.Device, sp.GetRequiredService<IOptions<DurableBufferOptions>>().Value, sp.GetRequiredService<ILogger<DurableBatchLog>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<EdgeAgentMetrics>()))]));
            if (nmeaSection.GetValue(nameof(NmeaOptions.Source), new NmeaOptions().Source) != NmeaSourceKind.None)
            {
                builder.Services.AddSingleton<GpsBatcher>();
                builder.Services.AddHostedService(static sp => sp.GetRequiredService<GpsBatcher>());
            }

            // Other sensors (reefer, fuel, CAN bus) from the gateway's MQTT broker, in batches of their own.
            if (mqttSection.GetValue(nameof(MqttOptions.Enabled), new MqttOptions().Enabled))
            {
                builder.Services.AddSingleton(static sp => sp.GetRequiredService<IOptions<MqttOptions>>().Value.CreateCatalog());
                builder.Services.AddSingleton(static sp => new SensorReadings(unacknowledgedLimit: sp.GetRequiredService<IOptions<MqttOptions>>().Value.ReceiveMaximum));
                // The batcher is registered first so that it stops last and cuts what the input delivered.
                builder.Services.AddSingleton<SensorBatcher>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<SensorBatcher>());
                builder.Services.AddSingleton<MqttSensorInput>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttSensorInput>());
            }
        }
        else
        {
            if (bool.TryParse(builder.Configuration[$"{MqttOptions.SectionName}:Enabled"], out bool mqttEnabled) && mqttEnabled)
            {
                throw new OptionsValidationException($"{MqttOptions.SectionName}:Enabled", typeof(MqttOptions),
                    [$"Configuration '{MqttOptions.SectionName}:Enabled' applies to a real truck: set EdgeAgent:Device:Tenant and EdgeAgent:Device:Id (the simulator makes its own readings)."]);
            }

            builder.Services.AddSingleton<SimulatedFleet>();
            builder.Services.AddSingleton(sp => new DeviceRegistry(sp.GetRequiredService<SimulatedFleet>().Trucks.Select(t => (t.Identity, t.Buffer)).ToList()));
            builder.Services.AddHostedService<SimulatorService>();
        }

        builder.Services.AddHostedService<UplinkService>();
        if (options.MetricsPort != -1)
        {
            AddMetricsPort(builder.Services, options);
        }

        configureServices?.Invoke(builder.Services);
        return builder.BuildChecked(); // every ValidateOnStart section (Nmea, Buffer, Mqtt too), all failures at once
    }

    /// <summary>
    /// The gateway's own Prometheus endpoint (EdgeAgent:MetricsPort): OpenTelemetry's exporter on
    /// HttpListener, serving <c>/metrics</c> and nothing else, with the agent's counters and
    /// <see cref="AgentGauges"/>.
    /// </summary>
    private static void AddMetricsPort(IServiceCollection services, EdgeAgentOptions options)
    {
        var address = System.Net.IPAddress.Parse(options.MetricsAddress);
        string host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        services.AddHostedService<AgentGauges>();
        services.AddOpenTelemetry()
            .ConfigureResource(static resource => resource.AddService("convoy-edge-agent"))
            .WithMetrics(metrics => metrics
                .AddMeter(EdgeAgentMetrics.MeterName)
                .AddPrometheusHttpListener(listener =>
                {
                    listener.Host = host;
                    listener.Port = options.MetricsPort;
                }));
    }

    /// <summary>
    /// Whether anything in the agent verifies a peer against the operating system's CA bundle: only
    /// the MQTT input over TLS without its own TrustRoots. Collectors are always verified against
    /// EdgeAgent:TrustRoots alone.
    /// </summary>
    public static bool UsesSystemTrustStore(IHost host) =>
        host.Services.GetService<IOptions<MqttOptions>>()?.Value is { Enabled: true, UseTls: true, TrustRoots: null or "" };

    /// <summary>
    /// The generic host with only what a gateway uses, in the default host's order: settings from
    /// appsettings.json, appsettings.{environment}.json, environment variables and the command line
    /// (read once: options are bound at start, so no file watcher), and console logging (plain, or
    /// systemd for journald) filtered by the Logging section. Host.CreateApplicationBuilder would
    /// add a file watcher thread, the Debug and EventSource loggers and user secrets; leaving them
    /// out keeps them out of the NativeAOT binary, whose size is most of the agent's resident memory.
    /// </summary>
    private static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables(prefix: "DOTNET_");
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            Configuration = configuration,
        });
        builder.Configuration
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{builder.Environment.EnvironmentName}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole();
        return builder;
    }
}
