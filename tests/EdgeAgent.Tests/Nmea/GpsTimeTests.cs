using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs.Nmea;
using Convoy.Pki;
using Microsoft.Extensions.Options;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>
/// A live receiver's time far from the gateway's clock: the GPS week-number rollover (dates exactly
/// 1,024 weeks back) is corrected; any other offset is replaced by the gateway's receive time. Either
/// way the batches are ones the collector takes, so the truck is never stalled behind them.
/// </summary>
public sealed class GpsTimeTests
{
    private static readonly long Now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private readonly GpsClock _clock = new(TimeSpan.FromMinutes(1));

    [Theory]
    [InlineData(0L)]
    [InlineData(-59_000L)] // within the allowed difference, either way: kept
    [InlineData(59_000L)]
    public void ATimeCloseToTheGatewaysClock_IsKept(long offsetMs)
    {
        Assert.Equal(Now + offsetMs, _clock.Correct(Now + offsetMs, Now, out var correction));
        Assert.Equal(GpsTimeCorrection.None, correction);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)] // a receiver an era ahead: corrected back just the same
    public void ATimeOffByWholeGpsEras_IsMovedBackIntoThisEra(int eras)
    {
        long receiver = Now - (eras * GpsClock.EraMs) - 800; // the fix left the receiver 0.8 s before it arrived

        Assert.Equal(Now - 800, _clock.Correct(receiver, Now, out var correction));
        Assert.Equal(GpsTimeCorrection.WeekRollover, correction);
    }

    [Theory]
    [InlineData(-120_000L)] // two minutes ahead: more than allowed
    [InlineData(86_400_000L)] // a day behind
    [InlineData(1024L * 7 * 86_400_000 + 3_600_000)] // an era and an hour: not a rollover
    public void AnyOtherLargeDifference_TakesTheGatewaysReceiveTime(long behindMs)
    {
        Assert.Equal(Now, _clock.Correct(Now - behindMs, Now, out var correction));
        Assert.Equal(GpsTimeCorrection.ReceiveTime, correction);
    }

    [Fact]
    public async Task AReceiverHitByTheWeekRollover_OverTcp_MakesBatchesOfToday_ThatTheCollectorsCheckTakes()
    {
        var now = DateTimeOffset.UtcNow;
        var run = await ReceiveOverTcpAsync(now.AddDays(-7 * 1024), GpsTimeCorrection.WeekRollover); // the date 1,024 weeks back

        Assert.Equal(0, run.Admission.Refused);
        Assert.Equal(0, run.Batcher.Corrected(GpsTimeCorrection.ReceiveTime));
        Assert.InRange(run.Batch.BaseTimeUnixMs, now.AddSeconds(-8).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
        Assert.Empty(run.Batch.Gps.GatewayTimed); // corrected exactly: still the receiver's time
        Assert.Contains(run.Logs.Entries, e => e.Event == "GpsTimeCorrection" && e.Message.Contains("corrected by WeekRollover", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReceiverWithAnyOtherWrongTime_OverTcp_HasItsFixesStampedByTheGateway_AndFlagged()
    {
        var before = DateTimeOffset.UtcNow;
        var run = await ReceiveOverTcpAsync(before.AddDays(400), GpsTimeCorrection.ReceiveTime); // a broken date field: 400 days ahead

        Assert.Equal(0, run.Admission.Refused);
        Assert.Equal(0, run.Batcher.Corrected(GpsTimeCorrection.WeekRollover));
        Assert.InRange(run.Batch.BaseTimeUnixMs, before.ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(Enumerable.Range(0, run.Batch.Gps.OffsetMs.Count).Select(i => (uint)i), run.Batch.Gps.GatewayTimed); // every fix flagged
    }

    /// <summary>
    /// A receiver on a TCP port that believes it is <paramref name="receiverNow"/> sends six epochs;
    /// the agent's GPS batcher reads them until five were corrected as <paramref name="expected"/>.
    /// </summary>
    private static async Task<(GpsBatcher Batcher, BatchAdmission Admission, TelemetryBatch Batch, TestLogs Logs)> ReceiveOverTcpAsync(
        DateTimeOffset receiverNow, GpsTimeCorrection expected)
    {
        string date = receiverNow.ToString("ddMMyy", CultureInfo.InvariantCulture);
        var lines = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            string time = receiverNow.AddSeconds(i - 6).ToString("HHmmss.ff", CultureInfo.InvariantCulture);
            lines.Add(Sentence($"GPRMC,{time},A,5222.20,N,00453.{40 + i:00},E,10.0,90.0,{date},,"));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var server = Task.Run(async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(timeout.Token);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", lines) + "\r\n"), timeout.Token);
                await Task.Delay(Timeout.Infinite, timeout.Token); // keep the connection open, as a receiver would
            }, timeout.Token);
            var nmea = new NmeaOptions { Source = NmeaSourceKind.Tcp, Host = "127.0.0.1", Port = ((IPEndPoint)listener.LocalEndpoint).Port, GpsdWatch = false };
            nmea.Validated();
            var agent = new EdgeAgentOptions();
            agent.Device.Tenant = "acme";
            agent.Device.Id = "truck-1";
            var buffer = new BatchBuffer("truck-1", capacity: 10);
            var metrics = new EdgeAgentMetrics(new TestMeterFactory());
            var logs = new TestLogs();
            var admission = Admission(agent, metrics, TimeProvider.System);
            var batcher = new GpsBatcher(Options.Create(nmea), new DeviceRegistry([(DeviceIdentity.Create("acme", "truck-1"), buffer)]), Options.Create(agent),
                admission, metrics, TimeProvider.System, logs.For<GpsBatcher>());

            await batcher.StartAsync(CancellationToken.None);
            // The last epoch waits for the next one to begin; the five before it are complete.
            await Eventually.HoldsAsync(() => batcher.Corrected(expected) >= 5, TimeSpan.FromSeconds(20), $"five fixes to be corrected by {expected}");
            await batcher.StopAsync(CancellationToken.None);
            await timeout.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);

            Assert.True(buffer.TryGetNext(0, out _, out byte[] bytes));
            return (batcher, admission, TelemetryBatch.Parser.ParseFrom(bytes), logs);
        }
        finally
        {
            listener.Stop();
        }
    }
}
