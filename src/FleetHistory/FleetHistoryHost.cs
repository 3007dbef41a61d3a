using System.Net;
using Convoy.AlertEngine;
using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Rules.Files;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Query;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.ClickHouse;
using Convoy.FleetHistory.Store.DuckDb;
using Convoy.FleetHistory.Tenancy;
using Convoy.Probes;
using Convoy.Kafka;
using Convoy.OptionsValidation;
using Convoy.Tokens;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory;

/// <summary>Builds the fleet history program: the projector (a consumer group member) and the query API.</summary>
public static class FleetHistoryHost
{
    /// <summary>The <c>--help</c> text; every default it shows is read from a new options instance.</summary>
    public static string Help { get; } = CreateHelp(new FleetHistoryOptions());

    private static string CreateHelp(FleetHistoryOptions o) => $$"""
        Convoy fleet history: projects every tenant's telemetry and alert topics into a store and
        serves the fleet history query API (proto/convoy/fleet/v1/fleet_history.proto) as gRPC and
        HTTP/JSON, each tenant seeing only its own fleet.

        Usage: Convoy.FleetHistory [--Key=Value ...]
        Every setting can also come from appsettings.json or an environment variable
        (FleetHistory__DataFolder=..., Kafka__BootstrapServers=...).

          --FleetHistory:Address=IP                listen address {{D(o.Address)}}
          --FleetHistory:GrpcPort=N                gRPC port (HTTP/2 without TLS), 0 = any free port {{D(o.GrpcPort)}}
          --FleetHistory:HttpPort=N                HTTP/JSON port (HTTP/1.1) and /healthz, /readyz, 0 = any free port {{D(o.HttpPort)}}
          --FleetHistory:Store=DuckDb|ClickHouse   where the projections live {{D(o.Store)}}
          --FleetHistory:DataFolder=DIR            the DuckDB store: one file per tenant {{D(o.DataFolder)}}
          --FleetHistory:ClickHouse:Url=URL        the ClickHouse store: its HTTP interface {{D(o.ClickHouse.Url)}}
          --FleetHistory:ClickHouse:Isolation=I    DatabasePerTenant or SharedTables {{D(o.ClickHouse.Isolation)}}
          --FleetHistory:ClickHouse:Database=NAME  the shared database, or each tenant's prefix {{D(o.ClickHouse.Database)}}
          --FleetHistory:GroupId=NAME              consumer group {{D(o.GroupId)}}
          --FleetHistory:TopicPattern=REGEX        topics to project {{D(o.TopicPattern)}}
          --FleetHistory:FlushMilliseconds=MS      how long records gather before a write {{D(o.FlushMilliseconds)}}
          --FleetHistory:FlushRecords=N            records that force a write sooner {{D(o.FlushRecords)}}
          --FleetHistory:QueriesPerSecond=N        each tenant's query quota {{D(o.QueriesPerSecond)}}
          --FleetHistory:QueryBurst=N              ...and its burst {{D(o.QueryBurst)}}
          --FleetHistory:WatchBacklog=N            flushes a fleet watch may fall behind before it is cut off {{D(o.WatchBacklog)}}
          --FleetHistory:TenantsFile=JSON          the tenant registry (the collector's Collector:TenantsFile), followed:
                                                   each tenant's retention and isolation, who may query (none: all, defaults)
          --FleetHistory:Retention:PositionsDays=N days of GPS fixes kept, unless the registry or the tenant's admin says otherwise {{D(o.Retention.PositionsDays)}}
          --FleetHistory:Retention:RollupsDays=N   days of rollups kept {{D(o.Retention.RollupsDays)}}
          --FleetHistory:Retention:AlertsDays=N    days of resolved alerts kept {{D(o.Retention.AlertsDays)}}
          --FleetHistory:RetentionCheckMinutes=N   how often retention is enforced {{D(o.RetentionCheckMinutes)}}
          --FleetHistory:RulesFolder=DIR           the alert engine's rules folder (its AlertEngine:RulesFolder), followed
                                                   for changes: GetRules and device tags (none by default)
          --AlertEngine:TemperatureRules:N:...     the engine's default rules, as given to the engine, for what
                                                   GetRules reports of a tenant without a rule file
          --FleetHistory:Tokens:Issuer=ISS         the 'iss' every bearer token must carry
          --FleetHistory:Tokens:Audience=AUD       the 'aud' every bearer token must carry
          --FleetHistory:Tokens:KeyFiles:N=PEM     the issuer's public keys (RS256 or ES256), followed on disk
          --FleetHistory:Tokens:JwksFile=FILE      ...or a JSON Web Key Set file
          --Kafka:BootstrapServers=host:port,...   Apache Kafka; empty = embedded in-memory cluster
          --Kafka:Properties:<librdkafka key>=V    any librdkafka setting, passed through to every client
        """;

    private static string D(object? value) => SettingDefault.Of(value);

    /// <summary>
    /// Builds the program from command-line style arguments; <paramref name="configureServices"/>
    /// lets tests and the demo add or replace services (an embedded Kafka, a token verifier). An
    /// invalid setting fails here, naming its key.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.UseConfiguredConsoleFormat(builder.Configuration);
        builder.Services.AddOptions<FleetHistoryOptions>()
            .Bind(builder.Configuration.GetSection(FleetHistoryOptions.SectionName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FleetHistoryOptions>, FleetHistoryOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FleetHistoryOptions>, StoreLocationPolicy>());
        builder.Services.AddConvoyKafka(builder.Configuration);
        builder.Services.AddSingleton<FleetHistoryMetrics>();
        builder.Services.AddSingleton<ConsumerLag>();
        builder.Services.AddSingleton<FleetWatchers>();
        builder.Services.AddSingleton<TenantSettings>();
        builder.Services.AddSingleton(static sp => CreateStore(sp.GetRequiredService<IOptions<FleetHistoryOptions>>().Value, sp.GetRequiredService<TenantSettings>()));
        builder.Services.AddOptions<TokenOptions>()
            .Configure(static tokens => tokens.Audience = FleetHistoryOptions.TokenAudience)
            .Bind(builder.Configuration.GetSection(FleetHistoryOptions.TokensSection))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TokenOptions>>(new TokenOptionsValidator(FleetHistoryOptions.TokensSection));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(static sp =>
        {
            var tokens = sp.GetRequiredService<IOptions<TokenOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            var keys = TokenKeys.Load(tokens, FleetHistoryOptions.TokensSection, time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.FleetHistory"));
            return new BearerTokenVerifier(keys, tokens, time);
        });
        builder.Services.AddSingleton<ICallerTokens, BearerCallerTokens>();
        builder.Services.AddSingleton<QueryGate>();
        // The tenants' rules as the engine runs them: the engine's defaults (the AlertEngine
        // section, if given) and its own rules-folder follower, reporting rather than refusing an
        // invalid file.
        AlertEngineHost.AddEngineOptions(builder.Services, builder.Configuration);
        builder.Services.AddSingleton(static sp => new RuleFolder(
            sp.GetRequiredService<RuleCatalog>(), sp.GetRequiredService<IOptions<FleetHistoryOptions>>().Value.RulesFolder, "FleetHistory:RulesFolder",
            refuseInvalidAtStart: false, metrics: null, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.FleetHistory.Rules"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RuleFolder>());
        builder.Services.AddSingleton<FleetRules>();
        builder.Services.AddSingleton<AcknowledgementWriter>();
        builder.Services.AddSingleton<Projector>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<Projector>());
        builder.Services.AddSingleton<ProjectionRebuilds>();
        builder.Services.AddSingleton<TopicRetention>();
        builder.Services.AddSingleton<RetentionEnforcer>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<RetentionEnforcer>());
        builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = false).AddJsonTranscoding();
        // /readyz: Kafka (the projector reads it, acknowledgements go to it) and the store (every query reads it).
        builder.Services.AddHealthChecks()
            .AddCheck<KafkaReadinessCheck>(KafkaReadinessCheck.Name, tags: [HealthEndpoints.Ready])
            .AddCheck<StoreReadinessCheck>(StoreReadinessCheck.Name, tags: [HealthEndpoints.Ready]);
        builder.Services.AddMetricsEndpoint("convoy-fleet-history", FleetHistoryMetrics.MeterName);
        configureServices?.Invoke(builder.Services);

        var options = new FleetHistoryOptions();
        builder.Configuration.GetSection(FleetHistoryOptions.SectionName).Bind(options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // A port out of range is left to the settings' check, which names it, rather than to
            // Kestrel, which would throw from deep inside the host's start.
            var address = IPAddress.TryParse(options.Address, out var ip) ? ip : IPAddress.Loopback;
            if (options.GrpcPort is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort)
            {
                kestrel.Listen(address, options.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (options.HttpPort is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort)
            {
                kestrel.Listen(address, options.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        // Load the token keys now, so a bad key file stops the start-up rather than the first query.
        app.Services.GetRequiredService<BearerTokenVerifier>();
        // /metrics on the HTTP/JSON port only, beside the probes.
        app.UseMetricsEndpoint(context => context.Request.Protocol != "HTTP/2");
        app.MapGrpcService<FleetHistoryService>();
        // Anonymous and outside the query quota: both belong to the gRPC service, not to these.
        app.MapHealthEndpoints();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.FleetHistory");
            string grpc = GrpcAddress(app).ToString(), http = HttpAddress(app).ToString();
            FleetHistoryLog.Listening(logger, grpc, http);
        });
        return app;
    }

    /// <summary>The store the settings choose, each tenant's layout from the registry; the settings' checks (a ClickHouse URL is absolute http or https) ran before.</summary>
    private static IFleetStore CreateStore(FleetHistoryOptions options, TenantSettings tenants) => options.Store switch
    {
        FleetStoreKind.ClickHouse => new ClickHouseFleetStore(new Uri(options.ClickHouse.Url), options.ClickHouse.Isolation, options.ClickHouse.Database, registry: tenants.IsolationOf),
        _ => new DuckDbFleetStore(options.DataFolder),
    };

    /// <summary>The gRPC address (http://, HTTP/2 without TLS), once started.</summary>
    public static Uri GrpcAddress(WebApplication app) => new(Urls(app)[0]);

    /// <summary>The HTTP/JSON address, once started.</summary>
    public static Uri HttpAddress(WebApplication app) => new(Urls(app)[1]);

    /// <summary>Records of the owned partitions not yet projected, as of the last flush (for the demo's screen).</summary>
    public static long ProjectionLag(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<ConsumerLag>().Total;
    }

    private static List<string> Urls(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Urls];
    }
}
