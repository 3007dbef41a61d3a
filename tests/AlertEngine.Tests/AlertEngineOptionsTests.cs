using Convoy.AlertEngine.Rules;
using Convoy.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The engine's settings go one way: bound once through the options pipeline, checked by the
/// generated validator when the host starts, and --help shows the defaults the code has.
/// </summary>
public sealed class AlertEngineOptionsTests
{
    [Theory]
    [InlineData("--AlertEngine:CheckpointRecords=0", "Configuration 'AlertEngine:CheckpointRecords' must be 1..1000000, was 0.")]
    [InlineData("--AlertEngine:AllowedLatenessSeconds=3601", "Configuration 'AlertEngine:AllowedLatenessSeconds' must be 0..3600 seconds, was 3601.")]
    [InlineData("--AlertEngine:TopicPattern=telemetry", "'AlertEngine:TopicPattern' must be a regular expression starting with ^")]
    [InlineData("--AlertEngine:GroupId= ", "'AlertEngine:GroupId' must not be empty")]
    [InlineData("--AlertEngine:StateTopic=telemetry.state", "'AlertEngine:StateTopic' must name a topic of its own")]
    [InlineData("--AlertEngine:SpeedRules:0:AboveKmh=500", "'AlertEngine:SpeedRules:0:AboveKmh' must be a speed in 0..400 km/h")]
    public void Build_InvalidSetting_FailsNamingTheKey(string argument, string message)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => AlertEngineHost.Build([argument, "--Kafka:BootstrapServers=127.0.0.1:9"]));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(AlertEngineOptions), refused.OptionsType);
    }

    [Fact]
    public void Build_InvalidEngineAndKafkaSettings_ReportsBoth()
    {
        var refused = Assert.Throws<AggregateException>(() => AlertEngineHost.Build(["--AlertEngine:CheckpointRecords=0", "--Kafka:TopicPartitions=0"]));

        Assert.Collection(
            refused.InnerExceptions.Cast<OptionsValidationException>().OrderBy(e => e.OptionsType.Name, StringComparer.Ordinal),
            e => Assert.Contains("'AlertEngine:CheckpointRecords'", e.Message, StringComparison.Ordinal),
            e => Assert.Contains("'Kafka:TopicPartitions'", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_RegistersEachOptionsOnce_ThroughTheOptionsPipeline()
    {
        IServiceCollection? registered = null;
        using var host = AlertEngineHost.Build(["--Kafka:BootstrapServers=127.0.0.1:9"], services => registered = services);

        Assert.NotNull(registered);
        Assert.DoesNotContain(registered, d => d.ServiceType == typeof(AlertEngineOptions) || d.ServiceType == typeof(KafkaOptions));
        Assert.DoesNotContain(registered, d => d.ServiceType == typeof(IOptions<AlertEngineOptions>) || d.ServiceType == typeof(IOptions<KafkaOptions>));
        Assert.Equal(typeof(AlertEngineOptionsValidator), Assert.Single(registered, d => d.ServiceType == typeof(IValidateOptions<AlertEngineOptions>)).ImplementationType);
        var options = host.Services.GetRequiredService<IOptions<AlertEngineOptions>>().Value;
        Assert.Equal("reefer-too-warm", Assert.Single(options.TemperatureRules).Id);
    }

    [Fact]
    public void OutsideDevelopment_AnEmptyBootstrapServers_IsRefused_UnlessTheInMemoryClusterIsAskedFor()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => AlertEngineHost.Build(["--environment=Production"]));

        Assert.Contains("'Kafka:BootstrapServers' is empty in the Production environment", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:Embedded=true", refused.Message, StringComparison.Ordinal);
        using (AlertEngineHost.Build(["--environment=Production", "--Kafka:Embedded=true"]))
        {
        }

        using (AlertEngineHost.Build(["--environment=Development"]))
        {
        }
    }

    [Fact]
    public void Help_ShowsEveryDefaultAsTheOptionsHaveIt()
    {
        int checkedDefaults = OptionsChecks.AssertHelpShowsTheDefaults(AlertEngineHost.Help, (AlertEngineOptions.SectionName, () => new AlertEngineOptions()),
            (Tracing.OtlpOptions.SectionName, () => new Tracing.OtlpOptions()));

        // MetricsPort, Address, GroupId, TopicPattern, AllowedLatenessSeconds, MaxClockSkewSeconds, StateTopic, CheckpointRecords, 4 each of a speed, fuel-theft and geofence rule,
        // and the OTLP protocol and sample ratio.
        Assert.Equal(22, checkedDefaults);
        Assert.Contains($"(default {new SpeedRuleOptions().For:c})", AlertEngineHost.Help, StringComparison.Ordinal);
    }
}
