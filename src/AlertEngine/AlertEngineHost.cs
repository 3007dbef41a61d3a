using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Consumption;
using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Rules.Files;
using Convoy.AlertEngine.State;
using Convoy.Kafka;
using Convoy.OptionsValidation;
using System.Net;
using Convoy.Probes;
using Convoy.Tracing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine;

/// <summary>Builds the alert engine host: a Kafka consumer group member that evaluates rules and writes alerts.</summary>
public static class AlertEngineHost
{
    /// <summary>The <c>--help</c> text; every default it shows is read from a new options instance.</summary>
    public static string Help { get; } = CreateHelp(new AlertEngineOptions(), new SpeedRuleOptions(), new FuelTheftRuleOptions(), new GeofenceRuleOptions(), new OtlpOptions());

    private static string CreateHelp(AlertEngineOptions engine, SpeedRuleOptions speed, FuelTheftRuleOptions fuel, GeofenceRuleOptions fence, OtlpOptions otlp) => $$"""
        Convoy alert engine: consumes every tenant's telemetry topic, evaluates the rules in event
        time and writes alerts to alerts.<tenant>.

        Usage: Convoy.AlertEngine [--Key=Value ...]
               Convoy.AlertEngine rules check FOLDER    validate a rules folder; exit 0 valid, 1 invalid, 2 usage
               Convoy.AlertEngine replay --tenant T --rules FILE --from TIME [--to TIME] [--run NAME]
                                                        run changed rules over past telemetry into alerts-replay.T.NAME
        Every setting can also come from appsettings.json or an environment variable
        (AlertEngine__GroupId=..., Kafka__BootstrapServers=...).

          --AlertEngine:MetricsPort=N                      plain-HTTP port of /metrics, /healthz, /readyz; 0 = any, -1 = off {{D(engine.MetricsPort)}}
          --AlertEngine:Address=IP                         listen address of that port {{D(engine.Address)}}
          --AlertEngine:GroupId=NAME                       consumer group {{D(engine.GroupId)}}
          --AlertEngine:TopicPattern=REGEX                 topics to evaluate {{D(engine.TopicPattern)}}
          --AlertEngine:RulesFolder=DIR                    per-tenant rule files <tenant>.yaml|.yml|.json, followed
                                                           for changes (none by default); tenants without a file get the rules below
          --AlertEngine:AllowedLatenessSeconds=S           apply batches up to S seconds behind a device's newest reading
                                                           in event-time order; older ones are counted, not applied {{D(engine.AllowedLatenessSeconds)}}
          --AlertEngine:MaxClockSkewSeconds=S              a batch with a reading more than S seconds after it was received is
                                                           not applied and moves no event time; as the collector's MaxClockSkew {{D(engine.MaxClockSkewSeconds)}}
          --AlertEngine:StateTopic=NAME                    compacted topic of the per-device rule state {{D(engine.StateTopic)}}
          --AlertEngine:CheckpointRecords=N                records between state checkpoints while busy {{D(engine.CheckpointRecords)}}
          --AlertEngine:TemperatureRules:N:Id=ID           rule N's id (rules come from appsettings.json)
          --AlertEngine:TemperatureRules:N:Zone=Z          reefer zone 1..8, 0 = every zone
          --AlertEngine:TemperatureRules:N:AboveC=C        fire above this temperature
          --AlertEngine:TemperatureRules:N:For=hh:mm:ss    ...for this long (event time)
          --AlertEngine:TemperatureRules:N:ClearBelowC=C   resolve at or below this (AboveC - 0.5)
          --AlertEngine:TemperatureRules:N:ClearFor=hh:mm:ss  ...for this long
          --AlertEngine:TemperatureRules:N:Severity=S      Info, Warning or Critical
          --AlertEngine:SpeedRules:N:Id=ID                 over-speed rule N (none by default)
          --AlertEngine:SpeedRules:N:AboveKmh=V            fire above this GPS speed {{D(speed.AboveKmh)}}
          --AlertEngine:SpeedRules:N:For=hh:mm:ss          ...for this long {{D(speed.For)}}
          --AlertEngine:SpeedRules:N:ClearAtOrBelowKmh=V   resolve at or below this (AboveKmh - 5)
          --AlertEngine:SpeedRules:N:ClearFor=hh:mm:ss     ...for this long {{D(speed.ClearFor)}}
          --AlertEngine:SpeedRules:N:Severity=S            {{D(speed.Severity)}}
          --AlertEngine:FuelTheftRules:N:Id=ID             fuel-theft rule N (none by default)
          --AlertEngine:FuelTheftRules:N:DropPercent=P     fire when the level falls more than P points {{D(fuel.DropPercent)}}
          --AlertEngine:FuelTheftRules:N:Within=hh:mm:ss   ...within this long {{D(fuel.Within)}}
          --AlertEngine:FuelTheftRules:N:StationaryBelowKmh=V  ...while GPS speed is below this {{D(fuel.StationaryBelowKmh)}}; resolves on moving
          --AlertEngine:FuelTheftRules:N:Severity=S        {{D(fuel.Severity)}}
          --AlertEngine:GeofenceRules:N:Id=ID              geofence rule N (none by default)
          --AlertEngine:GeofenceRules:N:AlertWhen=W        Inside: fire on entering, resolve on leaving;
                                                           Outside (must stay inside): the reverse {{D(fence.AlertWhen)}}
          --AlertEngine:GeofenceRules:N:CentreLatitudeDeg=D, ...:CentreLongitudeDeg=D, ...:RadiusM=M   a circle
          --AlertEngine:GeofenceRules:N:Polygon:M:LatitudeDeg=D, ...:Polygon:M:LongitudeDeg=D   or a polygon
          --AlertEngine:GeofenceRules:N:For=hh:mm:ss       on the alerting side this long before firing {{D(fence.For)}}
          --AlertEngine:GeofenceRules:N:ClearFor=hh:mm:ss  back on the other side this long before resolving {{D(fence.ClearFor)}}
          --AlertEngine:GeofenceRules:N:Severity=S         {{D(fence.Severity)}}
          --Kafka:BootstrapServers=host:port,...           Apache Kafka; empty = embedded in-memory cluster
          --Kafka:Properties:<librdkafka key>=V            any librdkafka setting, passed through to every client
          --Kafka:ProducerProperties:<key>=V               librdkafka settings for producers only
          --Kafka:ConsumerProperties:<key>=V               librdkafka settings for consumers only
          --Otlp:Endpoint=URL                              OTLP receiver of the evaluations' spans (http://host:4317); empty = no
                                                           tracing, unless OTEL_EXPORTER_OTLP_ENDPOINT is set
          --Otlp:Protocol=Grpc|HttpProtobuf                how spans are sent {{D(otlp.Protocol)}}
          --Otlp:SampleRatio=R                             share of records without a traceparent header to trace anyway, 0..1 {{D(otlp.SampleRatio)}}
        """;

    private static string D(object? value) => SettingDefault.Of(value);

    /// <summary>
    /// Builds the engine from command-line style arguments; <paramref name="configureServices"/> lets
    /// tests add services. An invalid setting fails here, before anything is made or runs: an
    /// <see cref="OptionsValidationException"/> naming its key (an <see cref="AggregateException"/>
    /// of them when several sections are invalid).
    /// </summary>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.UseConfiguredConsoleFormat(builder.Configuration);
        AddEngineOptions(builder.Services, builder.Configuration);
        builder.Services.AddConvoyKafka(builder.Configuration);
        builder.Services.AddSingleton<AlertEngineMetrics>();
        builder.Services.AddSingleton<ConsumerLag>();
        builder.Services.AddSingleton<AlertProducer>();
        builder.Services.AddSingleton<RuleStateStore>();
        builder.Services.AddSingleton(TimeProvider.System);
        // The rules folder loads before the consumer starts (hosted services start in order).
        builder.Services.AddSingleton<RuleFolder>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RuleFolder>());
        builder.Services.AddHostedService<TelemetryConsumer>();
        // The operations port: /metrics, and /readyz = Kafka reachable and the rules loaded.
        builder.Services.AddMetricsEndpoint("convoy-alert-engine", AlertEngineMetrics.MeterName);
        // Each record's evaluation as a span of its batch's trace, off unless Otlp:Endpoint is set.
        builder.Services.AddOtlpTracing(builder.Configuration, "convoy-alert-engine", EvaluationTrace.SourceName);
        builder.Services.AddHealthChecks()
            .AddCheck<KafkaReadinessCheck>(KafkaReadinessCheck.Name, tags: [HealthEndpoints.Ready])
            .AddCheck<RulesReadinessCheck>(RulesReadinessCheck.Name, tags: [HealthEndpoints.Ready]);
        configureServices?.Invoke(builder.Services);

        var options = new AlertEngineOptions();
        builder.Configuration.GetSection(AlertEngineOptions.SectionName).Bind(options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // A bad address or port is left to the settings' check, which names it; -1 = no port.
            if (options.MetricsPort is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort && IPAddress.TryParse(options.Address, out var address))
            {
                kestrel.Listen(address, options.MetricsPort, static listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            // The rules folder is read now: an invalid file stops the start here, in one line per
            // error, not from inside the host's start with its stack trace.
            app.Services.GetRequiredService<RuleFolder>();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        app.UseMetricsEndpoint();
        app.MapHealthEndpoints();
        return app;
    }

    /// <summary>The http://address:port/ of the operations port (/metrics, /healthz, /readyz) once started; null when it is off.</summary>
    public static Uri? MetricsAddress(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var addresses = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses is { Count: > 0 } ? new Uri(addresses.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) : null;
    }

    /// <summary>
    /// Binds the <c>AlertEngine</c> section, checked at start, with the engine's default rule (a
    /// reefer above 8 degC) when it names no temperature rule; and the catalog of every tenant's
    /// rules, starting from those defaults. The fleet history read side calls this too, so that the
    /// defaults it reports for a tenant without a rule file are the ones an engine with the same
    /// configuration runs.
    /// </summary>
    internal static void AddEngineOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertEngineOptions>()
            .Bind(configuration.GetSection(AlertEngineOptions.SectionName))
            .PostConfigure(static options =>
            {
                if (options.TemperatureRules.Count == 0)
                {
                    options.TemperatureRules.Add(new TemperatureRuleOptions());
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertEngineOptions>, AlertEngineOptionsValidator>());
        services.TryAddSingleton(static sp => new RuleCatalog(TenantRules.FromOptions(sp.GetRequiredService<IOptions<AlertEngineOptions>>().Value)));
    }
}
