using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Power cuts on a truck whose reefer controller publishes into the gateway's Mosquitto: the agent
/// program is killed with SIGKILL again and again while readings arrive, and afterwards every
/// published reading is in Kafka exactly once per (sensor, time), with no help from the consumer
/// beyond dropping a (device, sequence) it has already seen. Nothing acknowledged to the broker was
/// lost with a kill, and nothing the broker sent again after a kill was stored a second time.
/// </summary>
public sealed class TruckWithMqttSensorsKilledTests : IAsyncLifetime
{
    private const string Tenant = "cold-chain";
    private const string Device = "reefer-9";
    private const int Readings = 800;
    private const int Kills = 8;
    private readonly ITestOutputHelper _output;
    private TestCollector _collector = null!;
    private MqttTestBroker _broker = null!;

    public TruckWithMqttSensorsKilledTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        _broker = await MqttTestBroker.StartAsync();
        _collector = await TestCollector.StartAsync([Tenant]);
        _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task AgentKilledWhileSensorsPublish_EveryReadingInKafkaExactlyOnce()
    {
        int seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 120_000;

        // The broker keeps messages only for a session that exists: the agent subscribes once first.
        using (var first = ProgramProcess.Agent(AgentArguments()))
        {
            await Eventually.HoldsAsync(() => first.Output.Contains("MQTT input connected", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the agent to subscribe");
            first.Process.Kill();
            await first.Process.WaitForExitAsync();
        }

        // The reefer controller: one reading every 25 ms (its own times 100 ms apart), QoS 1, all
        // through the kills; the broker keeps them for the agent's session while it is down.
        using var publisher = await _broker.ConnectPublisherAsync();
        var publishing = Task.Run(async () =>
        {
            for (int i = 0; i < Readings; i++)
            {
                await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"reefer.zone1.temperature","value":{{-18 - (i % 20 * 0.1):0.0}},"timestamp":{{t0 + (i * 100L)}}}""");
                await Task.Delay(25);
            }
        });

        for (int kill = 1; kill <= Kills; kill++)
        {
            using var agent = ProgramProcess.Agent(AgentArguments());
            await Task.Delay(random.Next(1200, 2600));
            Assert.False(agent.Process.HasExited, $"run {kill}: the agent exited by itself:\n{agent.Output}");
            agent.Process.Kill(); // SIGKILL: no shutdown code runs, no PUBACK still waiting is sent
            await agent.Process.WaitForExitAsync();
        }

        await publishing;

        // The truck runs on until the broker has nothing left for it and its buffer is empty.
        using var last = EdgeAgentHost.Build([.. AgentArguments()]);
        await last.StartAsync();
        var buffer = last.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(
            () => Stored(Distinct()).Count >= Readings && buffer.Count == 0 && buffer.Acked == buffer.LastSequence,
            TimeSpan.FromSeconds(60),
            "every published reading in Kafka and the agent's buffer empty and acknowledged");

        await last.StopAsync();

        var batches = Distinct();
        var times = Stored(batches);
        var published = Enumerable.Range(0, Readings).Select(i => t0 + (i * 100L)).ToList();
        var missing = published.Except(times).Select(t => (t - t0) / 100).ToList();
        var twice = times.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => (g.Key - t0) / 100).ToList();
        _output.WriteLine($"{Kills} kills: {batches.Count} batches, {times.Count} readings in Kafka ({_collector.Telemetry(Tenant).Count} records before de-duplication by sequence); " +
            $"missing {missing.Count} (#{string.Join(", #", missing.Take(20))}), stored twice {twice.Count} (#{string.Join(", #", twice.Take(20))})");
        Assert.Equal(published, times.Order());
    }

    /// <summary>One copy of each (device, sequence), as a consumer keeps them.</summary>
    private List<TelemetryBatch> Distinct() =>
        [.. _collector.Telemetry(Tenant)
            .Select(r => TelemetryBatch.Parser.ParseFrom(r.Message.Value))
            .GroupBy(b => (b.DeviceId, b.Sequence))
            .Select(g => g.First())];

    /// <summary>Every zone-1 reading's time, as often as it was stored.</summary>
    private static List<long> Stored(List<TelemetryBatch> batches) =>
        [.. batches.SelectMany(b => b.Temperatures.Where(t => t.Zone == 1).SelectMany(t => t.OffsetMs.Select(o => b.BaseTimeUnixMs + o)))];

    private List<string> AgentArguments() =>
    [
        $"--EdgeAgent:Collectors:0={_collector.Address}",
        "--EdgeAgent:DevCertificates=true",
        $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
        $"--EdgeAgent:Device:Tenant={Tenant}",
        $"--EdgeAgent:Device:Id={Device}",
        "--EdgeAgent:Device:BatchSpan=00:00:01",
        "--EdgeAgent:Nmea:Source=None",
        $"--EdgeAgent:Buffer:Folder={Path.Combine(_collector.Folder, "buffer")}",
        "--EdgeAgent:ReconnectDelay=00:00:00.1",
        "--EdgeAgent:Mqtt:Enabled=true",
        $"--EdgeAgent:Mqtt:Port={_broker.Port}",
        "--EdgeAgent:Mqtt:ReconnectDelay=00:00:00.1",
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Convoy.EdgeAgent.Inputs.Mqtt=Information",
    ];
}
