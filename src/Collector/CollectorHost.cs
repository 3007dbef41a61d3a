using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Convoy.Collector.Alerts;
using Convoy.Collector.Authentication;
using Convoy.Collector.Ingest;
using Convoy.Collector.Kafka;
using Convoy.Probes;
using Convoy.Collector.Tenancy;
using Convoy.Collector.Validation;
using Convoy.Kafka;
using Convoy.OptionsValidation;
using Convoy.Tokens;
using Convoy.Tracing;
using Convoy.Contracts.Alerts.V1;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Health.V1;
using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Convoy.Collector;

/// <summary>Builds the collector: Kestrel (HTTP/2, TLS; device certificates or partner tokens) serving Ingest and AlertFeed.</summary>
public static class CollectorHost
{
    /// <summary>The <c>--help</c> text; every default it shows is read from new options instances.</summary>
    public static string Help { get; } = CreateHelp(new CollectorOptions(), new KafkaOptions(), new OtlpOptions());

    private static string CreateHelp(CollectorOptions o, KafkaOptions k, OtlpOptions t) => $$"""
        Convoy collector: receives telemetry batches from trucks over mutual-TLS gRPC and writes
        each into its tenant's Kafka topic, acknowledging a batch only after Kafka has it.

        Usage: Convoy.Collector [--Key=Value ...]
               Convoy.Collector pki <command> ...   the operators' PKI (pki --help)
               Convoy.Collector tenants <command> FILE ... the tenant registry without editing JSON (tenants --help)
        Every setting can also come from appsettings.json or an environment variable
        (Collector__Port=5443, Kafka__BootstrapServers=...).

          --Collector:Address=IP                 listen address {{D(o.Address)}}
          --Collector:Port=N                     TLS port, 0 = any free port {{D(o.Port)}}
          --Collector:MetricsPort=N              plain-HTTP port of /metrics, /healthz, /readyz, 0 = any, -1 = off {{D(o.MetricsPort)}}
          --Collector:ServerCertificate=PEM      server certificate
          --Collector:ServerKey=PEM              its private key (PKCS#8)
          --Collector:DeviceTrustRoots=PEM       CA certificate(s) device certificates must chain to
          --Collector:RevocationList=CRL         revoked device certificates (from `pki revoke`), followed on disk
          --Collector:DevCertificates=true       generate development certificates instead (never in production;
                                                 automatic in the Development environment when none are set)
          --Collector:DevCertificatesFolder=DIR  where they go {{D(o.DevCertificatesFolder)}}
          --Collector:Partners:Issuer=ISS        the 'iss' of partner tokens (required with partner keys)
          --Collector:Partners:Audience=AUD      their 'aud' {{D(o.Partners.Audience)}}
          --Collector:Partners:KeyFiles:N=PEM    partner token public keys (RS256/ES256), kid = file name; followed on disk
          --Collector:Partners:JwksFile=JSON     or/and a JWKS file of them; followed on disk
          --Collector:Partners:ClockSkewSeconds=N  tolerance for 'exp' and 'nbf' {{D(o.Partners.ClockSkewSeconds)}}
          --Collector:TenantsFile=JSON           tenant registry and quotas, followed on disk (none: all tenants, default quota)
          --Collector:TopicMode=M                PerTenant (telemetry.<tenant>) or Shared {{D(o.TopicMode)}}
          --Collector:SharedTopic=NAME           the one telemetry topic of the Shared mode {{D(o.SharedTopic)}}
          --Collector:Window=N                   batches a device may have unacknowledged {{D(o.Window)}}
          --Collector:MaxBatchBytes=N            largest batch accepted {{D(o.MaxBatchBytes)}}
          --Collector:MaxTrackedDevices=N        devices whose acknowledged sequences are remembered {{D(o.MaxTrackedDevices)}}
          --Collector:HandshakeTimeout=hh:mm:ss  TLS handshake time limit, generous for fleet reconnect storms {{D(o.HandshakeTimeout)}}
          --Collector:MaxClockSkew=hh:mm:ss      how far in the future a batch may start {{D(o.MaxClockSkew)}}
          --Collector:MaxBatchAge=d.hh:mm:ss     how old a batch may be {{D(o.MaxBatchAge)}}
          --Kafka:BootstrapServers=host:port,... Apache Kafka; empty = embedded in-memory cluster
          --Kafka:Properties:<librdkafka key>=V  any librdkafka setting, passed through to every client
          --Kafka:ProducerProperties:<key>=V     librdkafka settings for producers only
          --Kafka:ConsumerProperties:<key>=V     librdkafka settings for consumers only
          --Kafka:TopicPartitions=N              partitions of topics Convoy creates {{D(k.TopicPartitions)}}
          --Kafka:TopicReplicationFactor=N       their replication factor, -1 = broker default {{D(k.TopicReplicationFactor)}}
          --Kafka:CreateTopics=false             never create topics (operators do)
          --Kafka:EmbeddedBrokers=N              brokers of the embedded cluster {{D(k.EmbeddedBrokers)}}
          --Otlp:Endpoint=URL                    OTLP receiver of the batches' spans (http://host:4317); empty = no tracing,
                                                 unless OTEL_EXPORTER_OTLP_ENDPOINT is set
          --Otlp:Protocol=Grpc|HttpProtobuf      how spans are sent {{D(t.Protocol)}}
          --Otlp:SampleRatio=R                   share of batches that come without a trace context to trace anyway, 0..1 {{D(t.SampleRatio)}}
        """;

    private static string D(object? value) => SettingDefault.Of(value);

    /// <summary>
    /// Builds the collector from command-line style arguments. <paramref name="configureServices"/>
    /// lets tests and the demo add services, e.g. a shared embedded Kafka cluster. An invalid setting
    /// fails here, before anything listens: an <see cref="OptionsValidationException"/> naming its
    /// key (an <see cref="AggregateException"/> of them when several sections are invalid).
    /// </summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.UseConfiguredConsoleFormat(builder.Configuration);
        AddCollectorOptions(builder.Services, builder.Configuration.GetSection(CollectorOptions.SectionName));
        builder.Services.AddConvoyKafka(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        AddIngest(builder.Services);
        AddTenancy(builder.Services);
        AddCallerAuthentication(builder.Services);
        AddGrpcServices(builder.Services);
        AddOperations(builder.Services);
        AddTracing(builder.Services, builder.Configuration);
        configureServices?.Invoke(builder.Services);
        ListenForDevicesAndOperators(builder.WebHost);

        var app = builder.Build();
        StartChecked(app);
        // Made now, not at the first call: its refusal series exist at 0 from the start.
        app.Services.GetRequiredService<CollectorMetrics>();
        MapEndpoints(app);
        return app;
    }

    /// <summary>
    /// The <c>Collector</c> section, bound once and checked at start by the generated validator;
    /// in the Development environment, with no certificate files set, development certificates.
    /// </summary>
    private static void AddCollectorOptions(IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<CollectorOptions>()
            .Bind(section)
            .PostConfigure<IHostEnvironment>(static (options, environment) =>
            {
                if (environment.IsDevelopment() && options.ServerCertificate is null && options.ServerKey is null && options.DeviceTrustRoots is null)
                {
                    // Development (e.g. `dotnet run`, via launchSettings.json) with no certificates configured:
                    // make development ones. Logged as a warning at start; never done in Production.
                    options.DevCertificates = true;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>());
    }

    /// <summary>The path of a batch: validated, admitted against its replays, written to Kafka, acknowledged.</summary>
    private static void AddIngest(IServiceCollection services)
    {
        services.AddSingleton<TelemetryProducer>();
        services.AddSingleton(static sp => new BatchValidator(Collector(sp)));
        services.AddSingleton(static sp => new SequenceLedgers(Collector(sp)));
        services.AddSingleton<ActiveStreams>();
        services.AddHostedService<StreamsEndBeforeServerStops>();
        services.AddSingleton<CollectorMetrics>();
        services.AddSingleton<Intake>();
        services.AddSingleton<UploadHandler>();
        services.AddSingleton<IngestService>();
        services.AddSingleton<IServiceMethodProvider<IngestService>, IngestServiceMethods>();
    }

    /// <summary>Who may send and how much: the tenant registry, followed on disk.</summary>
    private static void AddTenancy(IServiceCollection services) => services.AddSingleton<TenantRegistry>();

    /// <summary>
    /// Device certificates (the server certificate, trust roots and revocation list, followed on
    /// disk) and partner tokens, and the one authenticator of every call.
    /// </summary>
    private static void AddCallerAuthentication(IServiceCollection services)
    {
        services.AddSingleton(static sp => new CertificateFiles(CertificatePaths.Of(Collector(sp)), sp.GetRequiredService<TimeProvider>(), CollectorLogger(sp)));
        services.AddSingleton<CertificateWatcher>();
        services.AddHostedService(static sp => sp.GetRequiredService<CertificateWatcher>());
        services.AddSingleton(static sp =>
        {
            var certificates = sp.GetRequiredService<CertificateFiles>();
            return new DeviceCertificateValidator(() => certificates.TrustRoots, () => certificates.Revoked, sp.GetRequiredService<ILogger<DeviceCertificateValidator>>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CollectorMetrics>());
        });
        services.AddSingleton(static sp =>
        {
            var partners = Collector(sp).Partners;
            var time = sp.GetRequiredService<TimeProvider>();
            return new BearerTokenVerifier(TokenKeys.Load(partners, CollectorOptions.PartnersSection, time, CollectorLogger(sp)), partners, time);
        });
        services.AddSingleton<PartnerTokens>();
        services.AddSingleton<AccessAudit>();
        services.AddSingleton<CallerAuthenticator>();
    }

    /// <summary>gRPC with the largest batch as its message limit, gRPC health and server reflection (so grpcurl works).</summary>
    private static void AddGrpcServices(IServiceCollection services)
    {
        services.AddGrpc(static grpc => grpc.EnableDetailedErrors = false);
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<CollectorOptions>>(static (grpc, options) => grpc.MaxReceiveMessageSize = options.Value.MaxBatchBytes);
        // One set of checks for both: grpc.health.v1 (Kafka reachable = serving, also as the named
        // service "kafka") and /readyz on the metrics port.
        services.AddGrpcHealthChecks(static health => health.Services.Map(KafkaReadinessCheck.Name, static check => check.Name == KafkaReadinessCheck.Name))
            .AddCheck<KafkaReadinessCheck>(KafkaReadinessCheck.Name, tags: [HealthEndpoints.Ready]);
        services.AddSingleton(new ReflectionServiceImpl(Contracts.Telemetry.V1.Ingest.Descriptor, AlertFeed.Descriptor, Health.Descriptor, ServerReflection.Descriptor));
    }

    /// <summary>The collector's metrics and the runtime's, for Prometheus, as every program exports them.</summary>
    private static void AddOperations(IServiceCollection services) =>
        services.AddMetricsEndpoint("convoy-collector", CollectorMetrics.MeterName);

    /// <summary>The batches' spans over OTLP, off unless Otlp:Endpoint is set (src/Shared/OtlpTracing.cs).</summary>
    private static void AddTracing(IServiceCollection services, IConfiguration configuration) =>
        services.AddOtlpTracing(configuration, "convoy-collector", BatchTrace.SourceName);

    /// <summary>
    /// The TLS port of devices and partners (HTTP/2, the certificate chosen per handshake so a
    /// rotated one is used without a restart) and the plain-HTTP port of metrics and probes.
    /// </summary>
    private static void ListenForDevicesAndOperators(IWebHostBuilder host)
    {
        // A fleet reconnecting after a network outage arrives as a burst of handshakes; the
        // default accept backlog of 512 would reset the excess before TLS even starts.
        host.UseSockets(static sockets => sockets.Backlog = 4096);
        host.ConfigureKestrel(static kestrel =>
        {
            // Kestrel's options are made with the application, in Build, before the settings are
            // checked: bad settings give it no endpoint, and the check right after names them.
            if (ValidOrNone(kestrel.ApplicationServices) is not { } options)
            {
                return;
            }

            // Above the collector's own metadata limit, so a caller over it is refused with a status
            // and audited (RequestLimits) rather than dropped with the connection.
            kestrel.Limits.MaxRequestHeadersTotalSize = RequestLimits.KestrelHeaderBytes;
            kestrel.Limits.Http2.MaxRequestHeaderFieldSize = RequestLimits.KestrelHeaderBytes;
            var address = IPAddress.Parse(options.Address);
            kestrel.Listen(address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                // Before TLS: the handshake's certificate check learns which address it is judging.
                listen.Use(static next => connection =>
                {
                    DeviceCertificateValidator.Remote.Value = connection.RemoteEndPoint?.ToString();
                    return next(connection);
                });
                listen.UseHttps(DeviceTls(kestrel.ApplicationServices, options.HandshakeTimeout));
            });
            if (options.MetricsPort >= 0)
            {
                // Plain HTTP for Prometheus and the orchestrator's probes only; nothing else answers on this port.
                kestrel.Listen(address, options.MetricsPort, static listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
    }

    /// <summary>
    /// TLS of the device port, decided per handshake: the server certificate in use now (followed on
    /// disk, so a rotated one is used without a restart) as the one <see cref="SslStreamCertificateContext"/>
    /// made when its file was read. Kestrel's certificate selector would have TLS make a context, and
    /// with it an OpenSSL context and a chain, for every connection and keep them while it is open.
    /// </summary>
    private static TlsHandshakeCallbackOptions DeviceTls(IServiceProvider services, TimeSpan handshakeTimeout)
    {
        var certificates = services.GetRequiredService<CertificateFiles>();
        // Devices present a certificate, partners a token instead: a certificate is asked for but
        // not required, and one that is presented must pass the device checks. Each call then
        // requires one credential or the other (CallerAuthenticator).
        RemoteCertificateValidationCallback deviceCheck = (_, certificate, chain, errors) => certificate is null
            || services.GetRequiredService<DeviceCertificateValidator>().Validate(certificate as X509Certificate2 ?? new X509Certificate2(certificate), chain, errors);
        return new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = handshakeTimeout,
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificates.ServerCertificateContext,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                // HTTP/2 forbids renegotiation (RFC 9113, 9.2.1).
                AllowRenegotiation = false,
                ClientCertificateRequired = true,
                // As Kestrel's certificate options checked it (CheckCertificateRevocation, on by default).
                CertificateRevocationCheckMode = X509RevocationMode.Online,
                RemoteCertificateValidationCallback = deviceCheck,
            }),
        };
    }

    /// <summary>
    /// Checks every section's settings, then loads what must be good before anything listens: the
    /// certificates, the partner keys and the tenant registry, so a bad file stops the start-up
    /// rather than the first device. The Kafka connection (and the embedded cluster, if any) is made
    /// once started, not on the first batch.
    /// </summary>
    private static void StartChecked(WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            app.Services.GetRequiredService<CertificateFiles>();
            app.Services.GetRequiredService<PartnerTokens>();
            app.Services.GetRequiredService<TenantRegistry>();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = CollectorLogger(app.Services);
            if (app.Services.GetRequiredService<CertificateFiles>().Paths.DevelopmentFolder is { } devFolder)
            {
                CollectorLog.DevCertificatesInUse(logger, devFolder, Path.Combine(devFolder, "ca.crt"));
            }

            string endpoints = string.Join(", ", app.Urls);
            string bootstrap = app.Services.GetRequiredService<KafkaCluster>().BootstrapServers;
            CollectorLog.Listening(logger, endpoints, bootstrap);
            app.Services.GetRequiredService<TelemetryProducer>();
        });
    }

    /// <summary>
    /// The gRPC services on the TLS port; <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> on the
    /// plain-HTTP port, and nothing else on either.
    /// </summary>
    private static void MapEndpoints(WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            // The plain-HTTP listener serves /metrics, /healthz and /readyz and nothing else (device
            // traffic needs TLS); the TLS port serves no probe: gRPC health is there.
            bool operations = context.Request.Path == "/metrics" || HealthEndpoints.IsHealthPath(context.Request.Path);
            if (context.Request.IsHttps == operations)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.UseMetricsEndpoint(static context => !context.Request.IsHttps);
        app.UseMiddleware<RequestLimits>();
        app.MapGrpcService<IngestService>();
        app.MapGrpcService<AlertFeedService>();
        app.MapGrpcHealthChecksService();
        app.MapHealthEndpoints();
        app.MapGrpcService<ReflectionServiceImpl>();
    }

    private static CollectorOptions Collector(IServiceProvider services) => services.GetRequiredService<IOptions<CollectorOptions>>().Value;

    private static CollectorOptions? ValidOrNone(IServiceProvider services)
    {
        try
        {
            return Collector(services);
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }

    private static ILogger CollectorLogger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.Collector");

    /// <summary>The https://127.0.0.1:port address devices connect to, once started.</summary>
    public static Uri Address(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new Uri(app.Urls.First(static u => u.StartsWith("https:", StringComparison.Ordinal)));
    }

    /// <summary>The http://127.0.0.1:port/metrics address of the Prometheus endpoint, once started; null when off.</summary>
    public static Uri? MetricsAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        string? url = app.Urls.FirstOrDefault(static u => u.StartsWith("http:", StringComparison.Ordinal));
        return url is null ? null : new Uri(new Uri(url), "/metrics");
    }
}
