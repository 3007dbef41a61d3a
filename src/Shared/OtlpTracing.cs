using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

// Named rather than imported: the web programs import Microsoft.Extensions.Configuration and
// .DependencyInjection implicitly, the agent does not, and an import one of them does not need fails its build.
using ConfigurationBinder = Microsoft.Extensions.Configuration.ConfigurationBinder;
using IConfiguration = Microsoft.Extensions.Configuration.IConfiguration;
using IServiceCollection = Microsoft.Extensions.DependencyInjection.IServiceCollection;
using OpenTelemetryServices = Microsoft.Extensions.DependencyInjection.OpenTelemetryServicesExtensions;
using OptionsBinding = Microsoft.Extensions.DependencyInjection.OptionsBuilderConfigurationExtensions;
using OptionsServices = Microsoft.Extensions.DependencyInjection.OptionsServiceCollectionExtensions;
using ServiceDescriptor = Microsoft.Extensions.DependencyInjection.ServiceDescriptor;
using StartupValidation = Microsoft.Extensions.DependencyInjection.OptionsBuilderExtensions;

namespace Convoy.Tracing;

/// <summary>
/// Configuration section <c>Otlp</c>: where a program sends its spans over OTLP. Tracing is off
/// while <see cref="Endpoint"/> is empty (the default): no exporter is made and nothing listens to
/// the program's activity source, so every "start a span" on a hot path is one check that finds
/// no listener. The same section in every program that traces (edge agent, collector, alert
/// engine); see docs/configuration/tracing.md.
/// Compiled into each of those programs (a linked file, src/Shared), internal to each.
/// </summary>
internal sealed class OtlpOptions : IValidatableObject
{
    public const string SectionName = "Otlp";

    /// <summary>The standard OpenTelemetry variable, used when <c>Otlp:Endpoint</c> is not set.</summary>
    public const string StandardEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// The OTLP receiver (an OpenTelemetry Collector, Jaeger, Tempo ...), http:// or https://; for
    /// HttpProtobuf the base address, to which <c>v1/traces</c> is added as the OTLP specification
    /// says for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. Empty = tracing off.
    /// </summary>
    public string Endpoint { get; set; } = string.Empty;

    /// <summary>Grpc (OTLP/gRPC, usually port 4317) or HttpProtobuf (OTLP/HTTP, usually 4318).</summary>
    public OtlpExportProtocol Protocol { get; set; } = OtlpExportProtocol.Grpc;

    /// <summary>
    /// The share of batches, 0..1, that this program starts a trace for when they reach it without
    /// one: on the edge agent, of every batch it sends; on the collector, of batches that carry no
    /// trace context (a partner's, an agent's with tracing off); on the alert engine, of records
    /// without a traceparent header. A batch that arrives with a trace context is traced as its
    /// sender decided, whatever this says.
    /// </summary>
    [SettingRange("Otlp:SampleRatio", 0, 1)]
    public double SampleRatio { get; set; }

    /// <summary>The key <see cref="Endpoint"/> came from, for messages.</summary>
    internal string EndpointKey { get; private set; } = "Otlp:Endpoint";

    public bool IsOn => Endpoint.Length > 0;

    /// <summary>Where spans are posted: the endpoint as given for gRPC, with <c>v1/traces</c> added for HTTP.</summary>
    internal Uri TracesEndpoint
    {
        get
        {
            var endpoint = new Uri(Endpoint, UriKind.Absolute);
            return Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces")
                : endpoint;
        }
    }

    /// <summary>The standard variable's endpoint when <c>Otlp:Endpoint</c> is not set (a default that depends on the environment).</summary>
    internal void ApplyDefaults(IConfiguration configuration)
    {
        if (Endpoint.Length == 0 && configuration[StandardEndpoint] is { Length: > 0 } standard)
        {
            Endpoint = standard;
            EndpointKey = StandardEndpoint;
        }
    }

    internal bool HasValidEndpoint => Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Query.Length == 0 && uri.Fragment.Length == 0;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (IsOn && !HasValidEndpoint)
        {
            yield return new ValidationResult(
                $"Configuration '{EndpointKey}' must be the http:// or https:// address of an OTLP receiver (e.g. http://otel-collector:4317), or empty for no tracing, was '{Endpoint}'.");
        }

        if (!Enum.IsDefined(Protocol))
        {
            yield return new ValidationResult($"Configuration 'Otlp:Protocol' must be Grpc or HttpProtobuf, was '{Protocol}'.");
        }
    }
}

/// <summary>Checks <see cref="OtlpOptions"/>: its attributes and rules, generated (no reflection, AOT-safe).</summary>
[OptionsValidator]
internal sealed partial class OtlpOptionsValidator : IValidateOptions<OtlpOptions>;

/// <summary>Tracing as every program that traces sets it up: one options wiring, one exporter, one sampler.</summary>
internal static class OtlpTracing
{
    /// <summary>
    /// Registers section <c>Otlp</c> (checked at start) and, when it names an endpoint, exports the
    /// spans of the activity source <paramref name="source"/> as service <paramref name="program"/>
    /// (e.g. convoy-collector). A span whose sender's trace context came with the batch is sampled
    /// as the sender decided (parent-based); one that starts a trace, at <see cref="OtlpOptions.SampleRatio"/>.
    /// Returns the options as bound, so the caller knows whether tracing is on.
    /// </summary>
    public static OtlpOptions AddOtlpTracing(this IServiceCollection services, IConfiguration configuration, string program, string source)
    {
        var section = configuration.GetSection(OtlpOptions.SectionName);
        StartupValidation.ValidateOnStart(OptionsBinding.Bind(OptionsServices.AddOptions<OtlpOptions>(services), section)
            .PostConfigure(o => o.ApplyDefaults(configuration)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OtlpOptions>, OtlpOptionsValidator>());

        var options = new OtlpOptions();
        ConfigurationBinder.Bind(section, options);
        options.ApplyDefaults(configuration);
        if (!options.IsOn || !options.HasValidEndpoint || options.SampleRatio is not (>= 0 and <= 1))
        {
            return options; // off, or a bad setting that the check at start reports in its own words
        }

        OpenTelemetryServices.AddOpenTelemetry(services)
            .ConfigureResource(resource => resource.AddService(program, serviceVersion: typeof(OtlpTracing).Assembly.GetName().Version?.ToString(3)))
            .WithTracing(tracing => tracing
                .AddSource(source)
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SampleRatio)))
                .AddOtlpExporter(exporter =>
                {
                    exporter.Endpoint = options.TracesEndpoint;
                    exporter.Protocol = options.Protocol;
                }));
        return options;
    }
}
