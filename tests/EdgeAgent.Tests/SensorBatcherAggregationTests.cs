using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests;

/// <summary>Readings from the gateway's sensors (MQTT) go through the same pre-aggregation as GPS before they are buffered.</summary>
public sealed class SensorBatcherAggregationTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Theory]
    [InlineData(AggregationMode.Raw, 600, 600)]
    // The first reading and the 5-minute heartbeat of a steady 4 °C; where the batches are cut
    // (by the batcher's clock) may add a point at a batch's edge, never more than one per minute.
    [InlineData(AggregationMode.DeadBand, 2, 12)]
    public async Task SteadyReeferTemperature_IsBufferedRawOrReducedAsConfigured(AggregationMode mode, int least, int most)
    {
        var agent = new EdgeAgentOptions();
        agent.Device.Tenant = "acme";
        agent.Device.Id = "truck-1";
        agent.Device.BatchSpan = TimeSpan.FromMinutes(1);
        agent.Aggregation.Temperature.Mode = mode;
        agent.Aggregation.Temperature.DeadBand = 0.5;
        var mqtt = new MqttOptions { Enabled = true };
        mqtt.Validated("truck-1"); // adds the default sensor names
        var catalog = mqtt.CreateCatalog();
        Assert.True(catalog.TryFind("reefer.zone1.temperature", out int zone1));
        var buffer = new BatchBuffer("truck-1", 10_000);
        var readings = new SensorReadings();
        using var devices = new DeviceRegistry([(DeviceIdentity.Create("acme", "truck-1"), buffer)]);
        var metrics = new EdgeAgentMetrics(_services.GetRequiredService<IMeterFactory>());
        var batcher = new SensorBatcher(readings, catalog, devices, Options.Create(agent), Admission(agent, metrics, TimeProvider.System), metrics, TimeProvider.System);

        await batcher.StartAsync(CancellationToken.None);
        long start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        for (int i = 0; i < 600; i++) // ten minutes at 1 Hz
        {
            await readings.Writer.WriteAsync(new SensorReading(zone1, start + (i * 1000L), 4.0f + ((i % 2) * 0.1f)));
        }

        // The batcher runs on the thread pool: stopping it before it has taken the readings (a loaded
        // machine) would test nothing about the aggregation.
        await Eventually.HoldsAsync(() => readings.Reader.Count == 0, "the batcher to take the ten minutes of readings");
        await batcher.StopAsync(CancellationToken.None);

        int buffered = 0;
        for (ulong after = 0; buffer.TryGetNext(after, out ulong sequence, out byte[] bytes); after = sequence)
        {
            var batch = TelemetryBatch.Parser.ParseFrom(bytes);
            buffered += batch.Temperatures.Sum(t => t.OffsetMs.Count);
        }

        Assert.InRange(buffered, least, most);
    }

    public void Dispose() => _services.Dispose();
}
