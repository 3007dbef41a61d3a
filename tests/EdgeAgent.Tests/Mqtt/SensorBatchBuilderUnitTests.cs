using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;

namespace Convoy.EdgeAgent.Tests.Mqtt;

public sealed class SensorBatchBuilderUnitTests
{
    private const long T0 = 1_795_435_198_000;
    private readonly SensorCatalog _catalog;
    private readonly int _zone1;
    private readonly int _fuel;
    private readonly int _rpm;

    public SensorBatchBuilderUnitTests()
    {
        var options = new MqttOptions { Enabled = true, FuelTankCapacityL = 600 };
        options.Validated("truck-1");
        _catalog = options.CreateCatalog();
        Assert.True(_catalog.TryFind("reefer.zone1.temperature", out _zone1));
        Assert.True(_catalog.TryFind("fuel.level", out _fuel));
        Assert.True(_catalog.TryFind("engine.rpm", out _rpm));
    }

    [Fact]
    public void Cut_ReadingsOutOfOrder_ColumnsSortedFromTheOldestReading()
    {
        var builder = new SensorBatchBuilder(_catalog, "truck-1", TimeSpan.FromSeconds(10), 100);
        builder.Add(new SensorReading(_zone1, T0 + 2000, 3f));
        builder.Add(new SensorReading(_fuel, T0 + 500, 55f));
        builder.Add(new SensorReading(_zone1, T0 + 1000, 2f));
        builder.Add(new SensorReading(_rpm, T0 + 3000, 1500f));

        var batch = builder.Cut(out int readings)!;

        Assert.Equal(4, readings);
        Assert.Equal("truck-1", batch.DeviceId);
        Assert.Equal(T0 + 500, batch.BaseTimeUnixMs);
        var zone = Assert.Single(batch.Temperatures);
        Assert.Equal(1u, zone.Zone);
        Assert.Equal([500u, 1500u], zone.OffsetMs);
        Assert.Equal([2f, 3f], zone.TemperatureC);
        Assert.Equal([0u], batch.Fuel.OffsetMs);
        Assert.Equal(600f, batch.Fuel.TankCapacityL);
        var rpm = Assert.Single(batch.Scalars);
        Assert.Equal((ScalarKind.EngineRpm, "", 2500u, 1500f), (rpm.Kind, rpm.Name, rpm.OffsetMs[0], rpm.Value[0]));
        Assert.Equal(0, builder.Count);
        Assert.Null(builder.Cut(out _));
    }

    [Fact]
    public void Cut_SameSensorSameTime_KeepsTheLaterValueOnce()
    {
        var builder = new SensorBatchBuilder(_catalog, "truck-1", TimeSpan.FromSeconds(10), 100);
        builder.Add(new SensorReading(_zone1, T0, 1f));
        builder.Add(new SensorReading(_zone1, T0, 1.5f)); // a redelivered or corrected message

        var batch = builder.Cut(out int readings)!;

        Assert.Equal(1, readings);
        Assert.Equal([1.5f], batch.Temperatures[0].TemperatureC);
        Assert.Equal(1, builder.Duplicates);
    }

    [Fact]
    public void Add_AtTheTimeOfTheLastReadingCut_IsADuplicate()
    {
        var builder = new SensorBatchBuilder(_catalog, "truck-1", TimeSpan.FromSeconds(10), 100);
        builder.Add(new SensorReading(_zone1, T0, 1f));
        builder.Cut(out _);

        // A retained message the broker sends again on reconnect.
        Assert.False(builder.Add(new SensorReading(_zone1, T0, 1f)));
        Assert.True(builder.Add(new SensorReading(_fuel, T0, 50f)));
        Assert.Equal(1, builder.Duplicates);
    }

    [Fact]
    public void Fits_BeyondTheSpanEitherWayOrTheSizeLimit_IsFalse()
    {
        var builder = new SensorBatchBuilder(_catalog, "truck-1", TimeSpan.FromSeconds(10), 3);
        builder.Add(new SensorReading(_zone1, T0, 1f));

        Assert.True(builder.Fits(new SensorReading(_fuel, T0 + 9_999, 1f)));
        Assert.False(builder.Fits(new SensorReading(_fuel, T0 + 10_000, 1f)));
        Assert.True(builder.Fits(new SensorReading(_fuel, T0 - 9_999, 1f)));
        Assert.False(builder.Fits(new SensorReading(_fuel, T0 - 10_000, 1f)));
        builder.Add(new SensorReading(_zone1, T0 + 1, 1f));
        builder.Add(new SensorReading(_zone1, T0 + 2, 1f));
        Assert.False(builder.Fits(new SensorReading(_zone1, T0 + 3, 1f)));
    }
}
