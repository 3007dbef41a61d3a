using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests.Mqtt;

/// <summary>The MQTT input and the sensor batcher against the installed Mosquitto on loopback (MQTTnet's broker where none is installed).</summary>
public sealed class MqttSensorInputTests : MqttSensorInputTestsBase
{
    protected override Task<MqttTestBroker> StartBrokerAsync() => MqttTestBroker.StartAsync();
}

/// <summary>The same tests forced onto the in-process broker, so the path a machine without Mosquitto takes keeps working.</summary>
public sealed class MqttSensorInputOnInProcessBrokerTests : MqttSensorInputTestsBase
{
    protected override Task<MqttTestBroker> StartBrokerAsync() => MqttTestBroker.StartInProcessAsync();

    [Fact]
    public void Broker_IsTheInProcessOne() => Assert.Equal(MqttBrokerKind.InProcess, Broker.Kind);
}

/// <summary>The MQTT input and the sensor batcher against a broker on loopback.</summary>
public abstract class MqttSensorInputTestsBase : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private MqttTestBroker _broker = null!;

    protected MqttTestBroker Broker => _broker;

    public async Task InitializeAsync() => _broker = await StartBrokerAsync();

    protected abstract Task<MqttTestBroker> StartBrokerAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task PublishedReadings_ArriveInTheAgentsBatches_WithKindValueAndTime()
    {
        await using var agent = await Agent.StartAsync(_broker.Port, sensors: new() { ["compressor.current"] = "Custom", ["cab.temperature"] = "Ignore" });
        using var publisher = await _broker.ConnectPublisherAsync();
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 5_000;
        string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"reefer.zone1.temperature","value":-18.5,"timestamp":"{{Iso(t0)}}"}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"reefer.zone2.temperature","value":3.25,"timestamp":{{t0 + 100}}}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/can", $$"""{"sensor":"fuel.level","value":61.5,"timestamp":{{t0 + 200}}}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"reefer.door","value":true,"timestamp":{{t0 + 300}}}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/can", $$"""{"sensor":"engine.rpm","value":1450,"timestamp":{{t0 + 400}}}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"cab.temperature","value":21,"timestamp":{{t0 + 450}}}""");
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/reefer", $$"""{"sensor":"compressor.current","value":12.75,"timestamp":{{t0 + 500}}}""");
        await MqttTestBroker.PublishAsync(publisher, "elsewhere/not-subscribed", $$"""{"sensor":"fuel.level","value":1,"timestamp":{{t0 + 600}}}""");

        var readings = await agent.WaitForReadingsAsync(6);

        Assert.Equal(
        [
            ("temperature/1", -18.5f, t0),
            ("temperature/2", 3.25f, t0 + 100),
            ("fuel", 61.5f, t0 + 200),
            ("ReeferDoorOpen/", 1f, t0 + 300),
            ("EngineRpm/", 1450f, t0 + 400),
            ("Custom/compressor.current", 12.75f, t0 + 500),
        ], readings.OrderBy(r => r.Time));
        Assert.Equal(1, agent.Input.Statistics[MqttOutcome.Ignored]);
        Assert.Equal(0, agent.Input.Statistics.Rejected);
    }

    [Fact]
    public async Task BadMessages_AreCountedByReason_AndSkipped()
    {
        await using var agent = await Agent.StartAsync(_broker.Port);
        using var publisher = await _broker.ConnectPublisherAsync();
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1_000;
        string[] bad =
        [
            "not json at all",
            """{"sensor":"fuel.level","value":5}""",
            """{"sensor":"fuel.level","value":5}""", // the same reason twice: counted twice, logged once
            """{"sensor":"fuel.level","value":"five","timestamp":1}""",
            $$"""{"sensor":"tyre.pressure","value":5,"timestamp":{{t}}}""",
            $$"""{"sensor":"fuel.level","value":NaN,"timestamp":{{t}}}""",
            $$"""{"sensor":"fuel.level","value":140,"timestamp":{{t}}}""",
            """{"sensor":"fuel.level","value":5,"timestamp":"last tuesday"}""",
            """{"sensor":"fuel.level","value":5,"timestamp":1000}""",
        ];
        foreach (string payload in bad)
        {
            await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/can", payload);
        }

        // One publisher, one topic, QoS 1: the broker keeps the order, so when this arrives every bad one has been handled.
        await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/can", $$"""{"sensor":"fuel.level","value":42,"timestamp":{{t}}}""");
        var readings = await agent.WaitForReadingsAsync(1);

        Assert.Equal([("fuel", 42f, t)], readings);
        var statistics = agent.Input.Statistics;
        Assert.Equal(1, statistics[MqttOutcome.NotJson]);
        Assert.Equal(2, statistics[MqttOutcome.MissingField]);
        Assert.Equal(1, statistics[MqttOutcome.BadField]);
        Assert.Equal(1, statistics[MqttOutcome.UnknownSensor]);
        Assert.Equal(1, statistics[MqttOutcome.NotFinite]);
        Assert.Equal(1, statistics[MqttOutcome.OutOfRange]);
        Assert.Equal(1, statistics[MqttOutcome.BadTimestamp]);
        Assert.Equal(1, statistics[MqttOutcome.AbsurdTimestamp]);
        Assert.Equal(1, statistics[MqttOutcome.Accepted]);
        Assert.Equal(8, agent.Log.Count("MqttMessageRejected"));
        Assert.Equal(2, agent.Metric("convoy.edge.mqtt.messages", "missing-field"));
        Assert.Equal(1, agent.Metric("convoy.edge.mqtt.messages", "unknown-sensor"));
        Assert.Equal(1, agent.Metric("convoy.edge.mqtt.messages", "accepted"));
    }

    [Fact]
    public async Task BrokerRestart_InputReconnects_AndKeepsReceiving()
    {
        await using var agent = await Agent.StartAsync(_broker.Port);
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000;
        using (var publisher = await _broker.ConnectPublisherAsync())
        {
            await MqttTestBroker.PublishAsync(publisher, "convoy/sensors/can", $$"""{"sensor":"battery.voltage","value":24.5,"timestamp":{{t}}}""");
            await agent.WaitForReadingsAsync(1);
        }

        await _broker.StopAsync();
        await agent.Log.WaitForAsync("MqttConnectionLost", 1, Patience);
        await _broker.RestartAsync();

        // Until the agent has subscribed again the broker (without persistence) drops what is
        // published, as a real one would: publish once a fifth of a second until a reading gets through.
        using var again = await _broker.ConnectPublisherAsync("test-publisher-2");
        int sent = 0;
        await Eventually.HoldsAsync(
            async () =>
            {
                sent++;
                await MqttTestBroker.PublishAsync(again, "convoy/sensors/can", $$"""{"sensor":"battery.voltage","value":25,"timestamp":{{t + sent}}}""");
                await Task.Delay(200);
                return agent.CountReadings() >= 2;
            },
            Patience,
            "a reading published after the broker restarted to reach the agent");

        Assert.True(agent.Input.Connections >= 2);
        Assert.True(agent.Log.Count("MqttConnected") >= 2);
        Assert.Contains(agent.Readings(), r => r.Value == 25f);
    }

    /// <summary>The input and batcher as the agent wires them, over an in-memory buffer.</summary>
    private sealed class Agent : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly SensorBatcher _batcher;
        private readonly BatchBuffer _buffer = new("truck-1", 10_000);
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string, string), long> _metrics = [];

        private Agent(int port, Dictionary<string, string>? sensors)
        {
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var meterFactory = _services.GetRequiredService<IMeterFactory>();
            var metrics = new EdgeAgentMetrics(meterFactory);
            var options = new MqttOptions
            {
                Enabled = true,
                Port = port,
                ClientId = "agent-" + Guid.NewGuid().ToString("N"),
                ReconnectDelay = TimeSpan.FromMilliseconds(50),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            };
            foreach (var (name, kind) in sensors ?? [])
            {
                options.Sensors[name] = kind;
            }

            options.Validated("truck-1");
            var agent = new EdgeAgentOptions();
            agent.Device.Tenant = "acme";
            agent.Device.Id = "truck-1";
            agent.Device.BatchSpan = TimeSpan.FromSeconds(1);
            var catalog = options.CreateCatalog();
            Catalog = catalog;
            var readings = new SensorReadings();
            var devices = new DeviceRegistry([(DeviceIdentity.Create("acme", "truck-1"), _buffer)]);
            _batcher = new SensorBatcher(readings, catalog, devices, Options.Create(agent), Admission(agent, metrics, TimeProvider.System), metrics, TimeProvider.System);
            Input = new MqttSensorInput(Options.Create(options), catalog, readings, Options.Create(agent), metrics, TimeProvider.System, Log.For<MqttSensorInput>());

            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // This agent's meters only: other test classes run agents at the same time.
                if (instrument.Meter.Name == EdgeAgentMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string outcome = "";
                foreach (var tag in tags)
                {
                    outcome = tag.Key == "outcome" ? (string)tag.Value! : outcome;
                }

                lock (_metrics)
                {
                    _metrics[(instrument.Name, outcome)] = _metrics.GetValueOrDefault((instrument.Name, outcome)) + value;
                }
            });
            _listener.Start();
        }

        public MqttSensorInput Input { get; }

        public SensorCatalog Catalog { get; }

        public TestLogs Log { get; } = new();

        public static async Task<Agent> StartAsync(int port, Dictionary<string, string>? sensors = null)
        {
            var agent = new Agent(port, sensors);
            await agent._batcher.StartAsync(CancellationToken.None);
            await agent.Input.StartAsync(CancellationToken.None);
            await agent.Log.WaitForAsync("MqttConnected", 1, Patience);
            return agent;
        }

        public long Metric(string instrument, string outcome)
        {
            lock (_metrics)
            {
                return _metrics.GetValueOrDefault((instrument, outcome));
            }
        }

        /// <summary>Every reading in the batches buffered so far, as (column, value, time).</summary>
        public List<(string Column, float Value, long Time)> Readings()
        {
            var all = new List<(string, float, long)>();
            ulong after = 0;
            while (_buffer.TryGetNext(after, out ulong sequence, out byte[] bytes))
            {
                after = sequence;
                var batch = TelemetryBatch.Parser.ParseFrom(bytes);
                Assert.Equal("truck-1", batch.DeviceId);
                Assert.Null(batch.Gps);
                foreach (var t in batch.Temperatures)
                {
                    all.AddRange(t.OffsetMs.Select((o, i) => ($"temperature/{t.Zone}", t.TemperatureC[i], batch.BaseTimeUnixMs + o)));
                }

                if (batch.Fuel is { } fuel)
                {
                    all.AddRange(fuel.OffsetMs.Select((o, i) => ("fuel", fuel.LevelPercent[i], batch.BaseTimeUnixMs + o)));
                }

                foreach (var s in batch.Scalars)
                {
                    all.AddRange(s.OffsetMs.Select((o, i) => ($"{s.Kind}/{s.Name}", s.Value[i], batch.BaseTimeUnixMs + o)));
                }
            }

            return all;
        }

        public int CountReadings() => Readings().Count;

        public async Task<List<(string Column, float Value, long Time)>> WaitForReadingsAsync(int count)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                var readings = Readings();
                if (readings.Count >= count)
                {
                    return readings;
                }

                Assert.True(DateTime.UtcNow < deadline, $"{readings.Count} of {count} readings arrived within {Patience}; input: {Input.Statistics}");
                await Task.Delay(100);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Input.StopAsync(CancellationToken.None);
            await _batcher.StopAsync(CancellationToken.None);
            Input.Dispose();
            _batcher.Dispose();
            _listener.Dispose();
            await _services.DisposeAsync();
        }
    }
}
