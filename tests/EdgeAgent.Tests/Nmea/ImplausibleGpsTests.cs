using System.Diagnostics.Metrics;
using System.Globalization;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs.Nmea;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>A receiver glitch (9,999 knots) is dropped and counted, never clamped into something that looks like speeding.</summary>
public sealed class ImplausibleGpsTests
{
    [Fact]
    public async Task SpeedAboveTheMaximum_IsDroppedAndCounted_AndTheFixKeepsTheLastPlausibleSpeed()
    {
        using var folder = new TempFolder();
        string capture = folder.File("glitch.nmea");
        // Dated yesterday: a batch must be within the collector's maximum age to be buffered at all.
        string yesterday = DateTime.UtcNow.AddDays(-1).ToString("ddMMyy", CultureInfo.InvariantCulture);
        await File.WriteAllLinesAsync(capture,
        [
            Sentence($"GPRMC,120000,A,5222.20,N,00453.40,E,10.0,90.0,{yesterday},,"),
            Sentence($"GPRMC,120001,A,5222.20,N,00453.41,E,9999.0,90.0,{yesterday},,"), // 18,518 km/h
            Sentence($"GPRMC,120002,A,5222.20,N,00453.42,E,20.0,90.0,{yesterday},,"),
        ]);
        var nmea = new NmeaOptions { Source = NmeaSourceKind.File, Path = capture, Pacing = NmeaPacing.AsFastAsPossible };
        nmea.Validated();
        var agent = new EdgeAgentOptions();
        agent.Device.Tenant = "acme";
        agent.Device.Id = "truck-1";
        var buffer = new BatchBuffer("truck-1", capacity: 10);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>());
        var batcher = new GpsBatcher(Options.Create(nmea), new DeviceRegistry([(DeviceIdentity.Create("acme", "truck-1"), buffer)]), Options.Create(agent),
            Admission(agent, metrics, TimeProvider.System), metrics, TimeProvider.System, new TestLogs().For<GpsBatcher>());

        await batcher.StartAsync(CancellationToken.None);
        await batcher.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(buffer.TryGetNext(0, out _, out byte[] bytes));
        var speeds = TelemetryBatch.Parser.ParseFrom(bytes).Gps.SpeedKmh;
        Assert.Equal([18.52f, 18.52f, 37.04f], speeds.Select(s => MathF.Round(s, 2)));
        Assert.Equal(1, batcher.Implausible);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(401)]
    [InlineData(double.NaN)]
    public void MaxSpeedKmh_OutsideWhatTheCollectorAccepts_IsRefusedAtStart(double max)
    {
        var nmea = new NmeaOptions { MaxSpeedKmh = max };

        var error = Assert.Throws<OptionsValidationException>(() => nmea.Validated());

        Assert.Contains("MaxSpeedKmh", error.Message, StringComparison.Ordinal);
    }
}
