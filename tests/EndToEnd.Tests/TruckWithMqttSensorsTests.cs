using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The agent on a real truck with its MQTT sensor input: a reefer controller publishes to the
/// gateway's Mosquitto, the agent batches, buffers on disk and sends over mTLS, and the published
/// values are in the tenant's Kafka topic.
/// </summary>
public sealed class TruckWithMqttSensorsTests : IAsyncLifetime
{
    private const string Tenant = "reefer-fleet";
    private TestCollector _collector = null!;
    private MqttTestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await MqttTestBroker.StartAsync();
        _collector = await TestCollector.StartAsync([Tenant]);
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task PublishedSensorValues_ReachTheTenantsKafkaTopic()
    {
        using var meters = new MeterTotals();
        _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, "reefer-7"));
        using var agent = EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={_collector.Address}",
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
            $"--EdgeAgent:Device:Tenant={Tenant}",
            "--EdgeAgent:Device:Id=reefer-7",
            "--EdgeAgent:Device:BatchSpan=00:00:01",
            $"--EdgeAgent:Buffer:Folder={Path.Combine(_collector.Folder, "buffer")}",
            "--EdgeAgent:Mqtt:Enabled=true",
            $"--EdgeAgent:Mqtt:Port={_broker.Port}",
            "--EdgeAgent:Mqtt:Topics:0=trailer/+/sensors",
            "--EdgeAgent:Mqtt:Sensors:compressor.current=Custom",
            "--EdgeAgent:Mqtt:FuelTankCapacityL=600",
            "--EdgeAgent:Mqtt:ReconnectDelay=00:00:00.1",
        ]);
        await agent.StartAsync();
        var input = agent.Services.GetRequiredService<MqttSensorInput>();
        await Eventually.HoldsAsync(() => input.Connections > 0, TimeSpan.FromSeconds(30), "the agent to subscribe to the broker");

        using var publisher = await _broker.ConnectPublisherAsync();
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_000;
        for (int i = 0; i < 5; i++)
        {
            await MqttTestBroker.PublishAsync(publisher, "trailer/T-12/sensors", $$"""{"sensor":"reefer.zone1.temperature","value":{{-18 - (i * 0.25)}},"timestamp":{{t0 + (i * 500)}}}""");
        }

        await MqttTestBroker.PublishAsync(publisher, "trailer/T-12/sensors", $$"""{"sensor":"fuel.level","value":73.5,"timestamp":{{t0 + 100}}}""");
        await MqttTestBroker.PublishAsync(publisher, "trailer/T-12/sensors", $$"""{"sensor":"compressor.current","value":11.25,"timestamp":{{t0 + 200}}}""");
        await MqttTestBroker.PublishAsync(publisher, "trailer/T-12/sensors", """{"sensor":"reefer.zone1.temperature","value":"cold","timestamp":1}""");

        var buffer = agent.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => meters["convoy.edge.readings.acknowledged", Tenant] == 7 && buffer.Acked == buffer.LastSequence && buffer.Count == 0,
            TimeSpan.FromSeconds(30), "the 7 good readings to be batched and acknowledged");
        Assert.Equal(1, input.Statistics[MqttOutcome.BadField]);
        await agent.StopAsync();

        var batches = _collector.Telemetry(Tenant).Select(r => TelemetryBatch.Parser.ParseFrom(r.Message.Value)).OrderBy(b => b.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (ulong)i), batches.Select(b => b.Sequence));
        Assert.All(batches, b => Assert.Equal("reefer-7", b.DeviceId));
        var temperatures = batches.SelectMany(b => b.Temperatures.SelectMany(c => c.OffsetMs.Select((o, i) => (c.Zone, Time: b.BaseTimeUnixMs + o, c.TemperatureC[i])))).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (1u, t0 + (i * 500), -18 - (i * 0.25f))), temperatures.OrderBy(t => t.Time));
        var fuel = Assert.Single(batches, b => b.Fuel is not null).Fuel;
        Assert.Equal((73.5f, 600f), (fuel.LevelPercent.Single(), fuel.TankCapacityL));
        var custom = batches.SelectMany(b => b.Scalars).Single();
        Assert.Equal((ScalarKind.Custom, "compressor.current", 11.25f), (custom.Kind, custom.Name, custom.Value.Single()));
    }
}
