using Convoy.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace Convoy.Collector.Tests;

/// <summary>
/// The <c>Otlp</c> section as the collector (and the agent and engine, which share it) checks it:
/// tracing is off unless an endpoint is set, a bad endpoint or ratio stops the start with a line
/// naming the key, and the standard OpenTelemetry variable works where the setting is not given.
/// </summary>
public sealed class OtlpOptionsUnitTests : IDisposable
{
    private readonly TempFolder _folder = new("otlp-options");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Defaults_AreOff()
    {
        var options = new OtlpOptions();

        OptionsChecks.Validate(new OtlpOptionsValidator(), options);
        Assert.False(options.IsOn);
        Assert.Equal(0, options.SampleRatio);
    }

    [Theory]
    [InlineData("Otlp:Endpoint", "otel-collector:4317", "Configuration 'Otlp:Endpoint' must be the http:// or https:// address of an OTLP receiver (e.g. http://otel-collector:4317), or empty for no tracing, was 'otel-collector:4317'.")]
    [InlineData("Otlp:Endpoint", "ftp://otel-collector:4317", "Configuration 'Otlp:Endpoint' must be the http:// or https:// address of an OTLP receiver (e.g. http://otel-collector:4317), or empty for no tracing, was 'ftp://otel-collector:4317'.")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "not an address", "Configuration 'OTEL_EXPORTER_OTLP_ENDPOINT' must be the http:// or https:// address of an OTLP receiver (e.g. http://otel-collector:4317), or empty for no tracing, was 'not an address'.")]
    [InlineData("Otlp:SampleRatio", "1.5", "Configuration 'Otlp:SampleRatio' must be 0..1, was 1.5.")]
    public void Validate_BadSetting_NamesItsKeyAndValue(string key, string value, string message)
    {
        var options = Bind((key, value));

        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new OtlpOptionsValidator(), options));

        Assert.Equal([message], error.Failures);
    }

    [Fact]
    public void StandardVariable_IsTheEndpoint_WhenOtlpEndpointIsNotSet()
    {
        var fromVariable = Bind((OtlpOptions.StandardEndpoint, "http://otel-collector:4317"));
        var setting = Bind((OtlpOptions.StandardEndpoint, "http://otel-collector:4317"), ("Otlp:Endpoint", "http://tempo:4317"));

        Assert.Equal(new Uri("http://otel-collector:4317"), fromVariable.TracesEndpoint);
        Assert.Equal(new Uri("http://tempo:4317"), setting.TracesEndpoint);
    }

    [Fact]
    public void HttpProtobuf_PostsToV1Traces_UnderTheEndpoint()
    {
        var options = Bind(("Otlp:Endpoint", "https://otel.example:4318/otlp/"), ("Otlp:Protocol", nameof(OtlpExportProtocol.HttpProtobuf)));

        Assert.Equal(new Uri("https://otel.example:4318/otlp/v1/traces"), options.TracesEndpoint);
    }

    [Fact]
    public void Build_WithoutOtlpSettings_HasNoTracer()
    {
        using var collector = CollectorHost.Build(Switches());

        Assert.Null(collector.Services.GetService<TracerProvider>());
        Assert.False(collector.Services.GetRequiredService<IOptions<OtlpOptions>>().Value.IsOn);
    }

    [Fact]
    public void Build_WithAnEndpoint_HasATracer()
    {
        using var collector = CollectorHost.Build([.. Switches(), "--Otlp:Endpoint=http://127.0.0.1:4317"]);

        Assert.NotNull(collector.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void Build_BadEndpoint_StopsBeforeAnythingStarts_NamingTheSetting()
    {
        var error = Assert.ThrowsAny<Exception>(() => CollectorHost.Build([.. Switches(), "--Otlp:Endpoint=otel-collector:4317"]));

        var failures = (error is AggregateException all ? all.InnerExceptions : [error]).Cast<OptionsValidationException>().SelectMany(static e => e.Failures);
        Assert.Contains(failures, static f => f.StartsWith("Configuration 'Otlp:Endpoint' must be the http:// or https:// address", StringComparison.Ordinal));
    }

    private string[] Switches() =>
        ["--environment=Development", $"--Collector:DevCertificatesFolder={_folder.File("dev-certs")}", "--Collector:Port=0", "--Collector:MetricsPort=-1", "--Kafka:Embedded=true"];

    private static OtlpOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(static s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        var options = new OtlpOptions();
        configuration.GetSection(OtlpOptions.SectionName).Bind(options);
        options.ApplyDefaults(configuration);
        return options;
    }
}
