using System.Net;
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
using Convoy.Pki;
using Convoy.Tokens;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Grpc.AspNetCore.Server.Model;
using Grpc.Health.V1;
using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Collector;

/// <summary>Builds the collector: Kestrel (HTTP/2, TLS; device certificates or partner tokens) serving Ingest and AlertFeed.</summary>
public static class CollectorHost
{
    public const string Help = """
        Convoy collector: receives telemetry batches from trucks over mutual-TLS gRPC and writes
        each into its tenant's Kafka topic, acknowledging a batch only after Kafka has it.

        Usage: Convoy.Collector [--Key=Value ...]
               Convoy.Collector pki <command> ...   the operators' PKI (pki --help)
        Every setting can also come from appsettings.json or an environment variable
        (Collector__Port=5443, Kafka__BootstrapServers=...).

          --Collector:Address=IP                 listen address (127.0.0.1)
          --Collector:Port=N                     TLS port, 0 = any free port (5443)
          --Collector:MetricsPort=N              plain-HTTP port of /metrics, /healthz, /readyz, 0 = any, -1 = off (9464)
          --Collector:ServerCertificate=PEM      server certificate
          --Collector:ServerKey=PEM              its private key (PKCS#8)
          --Collector:DeviceTrustRoots=PEM       CA certificate(s) device certificates must chain to
          --Collector:RevocationList=CRL         revoked device certificates (from `pki revoke`), followed on disk
          --Collector:DevCertificates=true       generate development certificates instead (never in production;
                                                 automatic in the Development environment when none are set)
          --Collector:DevCertificatesFolder=DIR  where they go (.convoy/dev-certs)
          --Collector:Partners:Issuer=ISS        the 'iss' of partner tokens (required with partner keys)
          --Collector:Partners:Audience=AUD      their 'aud' (convoy-collector)
          --Collector:Partners:KeyFiles:N=PEM    partner token public keys (RS256/ES256), kid = file name; followed on disk
          --Collector:Partners:JwksFile=JSON     or/and a JWKS file of them; followed on disk
          --Collector:Partners:ClockSkewSeconds=N  tolerance for 'exp' and 'nbf' (30)
          --Collector:TenantsFile=JSON           tenant registry and quotas, reloaded on change (none: all tenants, default quota)
          --Collector:Window=N                   batches a device may have unacknowledged (32)
          --Collector:MaxBatchBytes=N            largest batch accepted (4194304)
          --Collector:HandshakeTimeout=hh:mm:ss  TLS handshake time limit, generous for fleet reconnect storms (00:00:30)
          --Collector:MaxClockSkew=hh:mm:ss      how far in the future a batch may start (00:05:00)
          --Collector:MaxBatchAge=d.hh:mm:ss     how old a batch may be (30.00:00:00)
          --Kafka:BootstrapServers=host:port,... Apache Kafka; empty = embedded in-memory cluster
          --Kafka:Properties:<librdkafka key>=V  any librdkafka setting, passed through to every client
          --Kafka:ProducerProperties:<key>=V     librdkafka settings for producers only
          --Kafka:ConsumerProperties:<key>=V     librdkafka settings for consumers only
          --Kafka:TopicPartitions=N              partitions of topics Convoy creates (4)
          --Kafka:TopicReplicationFactor=N       their replication factor, -1 = broker default
          --Kafka:CreateTopics=false             never create topics (operators do)
          --Kafka:EmbeddedBrokers=N              brokers of the embedded cluster (1)
        """;

    /// <summary>
    /// Builds the collector from command-line style arguments. <paramref name="configureServices"/>
    /// lets tests and the demo add services, e.g. a shared embedded Kafka cluster.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        var options = builder.Configuration.GetSection(CollectorOptions.SectionName).Get<CollectorOptions>() ?? new CollectorOptions();
        if (builder.Environment.IsDevelopment() && options.ServerCertificate is null && options.ServerKey is null && options.DeviceTrustRoots is null)
        {
            // Development (e.g. `dotnet run`, via launchSettings.json) with no certificates configured:
            // make development ones. Logged as a warning at start; never done in Production.
            options.DevCertificates = true;
        }

        options.Validate();
        var (certificatePath, keyPath, trustRootsPath, devFolder) = CertificatePaths(options);
        var certificates = new CertificateFiles(certificatePath, keyPath, trustRootsPath, options.RevocationList, TimeProvider.System);

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(options);
        builder.Services.AddConvoyKafka(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TelemetryProducer>();
        builder.Services.AddSingleton<BatchValidator>();
        builder.Services.AddSingleton<SequenceLedgers>();
        builder.Services.AddSingleton<ActiveStreams>();
        builder.Services.AddHostedService<StreamsEndBeforeServerStops>();
        builder.Services.AddSingleton<CollectorMetrics>();
        if (options.TenantsFile is { } tenantsFile)
        {
            // Its own configuration root: the file's keys must not mix with the collector's.
            var registry = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(tenantsFile), optional: false, reloadOnChange: true).Build();
            builder.Services.Configure<TenantRegistryOptions>(registry);
        }
        else
        {
            builder.Services.Configure<TenantRegistryOptions>(static registry => registry.Open = true);
        }

        builder.Services.AddSingleton<TenantRegistry>();
        builder.Services.AddSingleton(certificates);
        builder.Services.AddSingleton<CertificateWatcher>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<CertificateWatcher>());
        builder.Services.AddSingleton(sp => new DeviceCertificateValidator(() => certificates.TrustRoots, () => certificates.Revoked, sp.GetRequiredService<ILogger<DeviceCertificateValidator>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CollectorMetrics>()));
        builder.Services.AddSingleton(sp => new BearerTokenVerifier(
            TokenKeys.Load(options.Partners, CollectorOptions.PartnersSection, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.Collector")),
            options.Partners, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<PartnerTokens>();
        builder.Services.AddSingleton<AccessAudit>();
        builder.Services.AddSingleton<CallerAuthenticator>();
        builder.Services.AddSingleton<Intake>();
        builder.Services.AddSingleton<UploadHandler>();
        builder.Services.AddSingleton<IngestService>();
        builder.Services.AddSingleton<IServiceMethodProvider<IngestService>, IngestServiceMethods>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxBatchBytes;
            grpc.EnableDetailedErrors = false;
        });
        // One set of checks for both: grpc.health.v1 (Kafka reachable = serving, also as the named
        // service "kafka") and /readyz on the metrics port. Server reflection, so grpcurl works.
        builder.Services.AddGrpcHealthChecks(static health => health.Services.Map(KafkaReadinessCheck.Name, static check => check.Name == KafkaReadinessCheck.Name))
            .AddCheck<KafkaReadinessCheck>(KafkaReadinessCheck.Name, tags: [HealthEndpoints.Ready]);
        builder.Services.AddSingleton(new ReflectionServiceImpl(Contracts.Telemetry.V1.Ingest.Descriptor, AlertFeed.Descriptor, Health.Descriptor, ServerReflection.Descriptor));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(CollectorMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        configureServices?.Invoke(builder.Services);

        // A fleet reconnecting after a network outage arrives as a burst of handshakes; the
        // default accept backlog of 512 would reset the excess before TLS even starts.
        builder.WebHost.UseSockets(static sockets => sockets.Backlog = 4096);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                // Before TLS: the handshake's certificate check learns which address it is judging.
                listen.Use(next => connection =>
                {
                    DeviceCertificateValidator.Remote.Value = connection.RemoteEndPoint?.ToString();
                    return next(connection);
                });
                listen.UseHttps(https =>
                {
                    // Asked per handshake, so a rotated certificate is used without a restart.
                    https.ServerCertificateSelector = (_, _) => certificates.ServerCertificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                    https.HandshakeTimeout = options.HandshakeTimeout;
                    // Devices present a certificate, partners a token instead: a certificate is asked
                    // for but not required, and one that is presented must pass the device checks
                    // below. Each call then requires one credential or the other (CallerAuthenticator).
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (certificate, chain, errors) =>
                        kestrel.ApplicationServices.GetRequiredService<DeviceCertificateValidator>().Validate(certificate, chain, errors);
                });
            });
            if (options.MetricsPort >= 0)
            {
                // Plain HTTP for Prometheus and the orchestrator's probes only; nothing else answers on this port.
                kestrel.Listen(IPAddress.Parse(options.Address), options.MetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        certificates.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.Collector");
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
        app.UseOpenTelemetryPrometheusScrapingEndpoint(static context => !context.Request.IsHttps && context.Request.Path == "/metrics");
        app.MapGrpcService<IngestService>();
        app.MapGrpcService<AlertFeedService>();
        app.MapGrpcHealthChecksService();
        app.MapHealthEndpoints();
        app.MapGrpcService<ReflectionServiceImpl>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.Collector");
            if (devFolder is not null)
            {
                CollectorLog.DevCertificatesInUse(logger, devFolder, Path.Combine(devFolder, "ca.crt"));
            }

            string endpoints = string.Join(", ", app.Urls);
            string bootstrap = app.Services.GetRequiredService<KafkaCluster>().BootstrapServers;
            CollectorLog.Listening(logger, endpoints, bootstrap);
        });

        // Load the partner keys at start, so a bad key file stops the start-up, not the first partner.
        app.Services.GetRequiredService<PartnerTokens>();

        // Create the Kafka connection (and the embedded cluster, if any) at start, not on the first batch.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<TelemetryProducer>());
        return app;
    }

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

    private static (string Certificate, string Key, string TrustRoots, string? DevFolder) CertificatePaths(CollectorOptions options)
    {
        if (options.ServerCertificate is null && options.DevCertificates)
        {
            var dev = DevCertificates.Ensure(options.DevCertificatesFolder);
            return (dev.ServerCertificatePath, dev.ServerKeyPath, dev.AuthorityCertificatePath, dev.Folder);
        }

        if (CertificateIssuer.LoadPemCertificates(options.DeviceTrustRoots!).Count == 0)
        {
            throw new OptionsValidationException("Collector:DeviceTrustRoots", typeof(CollectorOptions),
                [$"Configuration 'Collector:DeviceTrustRoots' names '{options.DeviceTrustRoots}', which holds no PEM certificate."]);
        }

        return (options.ServerCertificate!, options.ServerKey!, options.DeviceTrustRoots!, null);
    }
}
