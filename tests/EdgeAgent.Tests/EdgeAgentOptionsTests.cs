using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The agent's settings go one way: each section bound once through the options pipeline,
/// checked by its generated validator before anything runs, and --help shows the defaults the
/// code has.
/// </summary>
public sealed class EdgeAgentOptionsTests
{
    private static readonly string[] Simulator = ["--EdgeAgent:DevCertificates=true", "--EdgeAgent:Simulator:Trucks=1"];
    private static readonly string[] Truck = ["--EdgeAgent:DevCertificates=true", "--EdgeAgent:Device:Tenant=acme", "--EdgeAgent:Device:Id=truck-1", "--EdgeAgent:Nmea:Source=None"];

    [Theory]
    [InlineData("--EdgeAgent:ReconnectDelay=00:01:00", "Configuration 'EdgeAgent:ReconnectDelay' must be positive and at most EdgeAgent:ReconnectMaxDelay.")]
    [InlineData("--EdgeAgent:BufferCapacity=0", "Configuration 'EdgeAgent:BufferCapacity' must be 1..10000000, was 0.")]
    [InlineData("--EdgeAgent:MetricsPort=0", "Configuration 'EdgeAgent:MetricsPort' must be 1..65535, or -1 for no metrics port, was 0.")]
    [InlineData("--EdgeAgent:MaxBatchAge=00:00:00", "Configuration 'EdgeAgent:MaxBatchAge' must be positive, was 00:00:00.")]
    [InlineData("--EdgeAgent:Collectors:0=http://collector:5443", "Configuration 'EdgeAgent:Collectors:0' must be an https:// address, was 'http://collector:5443'.")]
    [InlineData("--EdgeAgent:Simulator:TimeScale=0", "Configuration 'EdgeAgent:Simulator:TimeScale' must be 1..3600, was 0.")]
    [InlineData("--EdgeAgent:Simulator:Events:GpsLossFor=00:00:00", "Configuration 'EdgeAgent:Simulator:Events:GpsLossFor' must be 00:00:01..02:00:00, was 00:00:00.")]
    [InlineData("--EdgeAgent:Aggregation:Gps:MinTurnDeg=181", "Configuration 'EdgeAgent:Aggregation:Gps:MinTurnDeg' must be 0..180 degrees, was 181.")]
    public void Build_InvalidAgentSetting_FailsNamingTheKey(string argument, string message)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => EdgeAgentHost.Build([.. Simulator, argument]));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--EdgeAgent:Nmea:IdleTimeout=00:00:00.05", typeof(NmeaOptions), "Configuration 'EdgeAgent:Nmea:IdleTimeout' must be at least 100 ms (receivers send every 0.1..1 s), was 00:00:00.0500000.")]
    [InlineData("--EdgeAgent:Buffer:SegmentBytes=10", typeof(DurableBufferOptions), "Configuration 'EdgeAgent:Buffer:SegmentBytes' must be 65536..67108864 (64 KiB..64 MiB), was 10.")]
    [InlineData("--EdgeAgent:Mqtt:Port=0", typeof(MqttOptions), "Configuration 'EdgeAgent:Mqtt:Port' must be 1..65535, was 0.")]
    public void Build_InvalidTruckInputSetting_FailsBeforeAnythingRuns(string argument, Type section, string message)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => EdgeAgentHost.Build([.. Truck, "--EdgeAgent:Mqtt:Enabled=true", argument]));

        Assert.Equal(section, refused.OptionsType);
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RegistersEachSectionOnce_ThroughTheOptionsPipeline()
    {
        IServiceCollection? registered = null;
        using var host = EdgeAgentHost.Build([.. Truck, "--EdgeAgent:Mqtt:Enabled=true"], services => registered = services);

        Assert.NotNull(registered);
        Type[] sections = [typeof(EdgeAgentOptions), typeof(NmeaOptions), typeof(DurableBufferOptions), typeof(MqttOptions)];
        Assert.DoesNotContain(registered, d => sections.Contains(d.ServiceType));
        Assert.DoesNotContain(registered, d => d.ServiceType.IsConstructedGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(IOptions<>));
        foreach (var section in sections)
        {
            Assert.Single(registered, d => d.ServiceType == typeof(IValidateOptions<>).MakeGenericType(section));
        }

        // The defaults that depend on other settings are applied to the registered options.
        var mqtt = host.Services.GetRequiredService<IOptions<MqttOptions>>().Value;
        Assert.Equal("convoy-edge-truck-1", mqtt.ClientId);
        Assert.Equal([MqttOptions.DefaultTopic], mqtt.Topics);
        Assert.Equal([EdgeAgentOptions.DefaultCollector], host.Services.GetRequiredService<IOptions<EdgeAgentOptions>>().Value.Collectors);
    }

    [Fact]
    public void Help_ShowsEveryDefaultAsTheOptionsHaveIt()
    {
        int checkedDefaults = OptionsChecks.AssertHelpShowsTheDefaults(
            EdgeAgentHost.Help,
            (EdgeAgentOptions.SectionName, () => new EdgeAgentOptions()),
            (NmeaOptions.SectionName, () => new NmeaOptions()),
            (MqttOptions.SectionName, () => new MqttOptions()),
            (DurableBufferOptions.SectionName, () => new DurableBufferOptions()));

        // 5 agent, 5 NMEA, 3 MQTT, 3 buffer, 11 simulator (with its events) and 2 aggregation settings.
        Assert.Equal(29, checkedDefaults);
        Assert.Contains($"(default {new EdgeAgentOptions().Simulator.ReeferFailureAfter:c})", EdgeAgentHost.Help, StringComparison.Ordinal);
    }
}
