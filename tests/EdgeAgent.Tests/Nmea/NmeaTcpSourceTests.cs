using System.Net;
using System.Net.Sockets;
using System.Text;
using Convoy.EdgeAgent.Inputs.Nmea;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>The TCP source against a loopback server that serves a capture as gpsd or a bridge would.</summary>
public sealed class NmeaTcpSourceTests
{
    [Fact]
    public async Task TcpSource_ServerDropsTheConnection_ReconnectsAndYieldsTheSameFixesAsFileReplay()
    {
        var (expected, _) = await ReplayAsync(Quectel);
        string[] lines = NmeaLines(Quectel);
        const int split = 1001; // in the middle of an epoch: its first part arrives before the drop, the rest after
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            int accepted = 0;
            var server = Task.Run(async () =>
            {
                foreach (var part in new[] { lines[..split], lines[split..] })
                {
                    using var client = await listener.AcceptTcpClientAsync(timeout.Token);
                    Interlocked.Increment(ref accepted);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", part) + "\r\n"), timeout.Token);
                    // Disposing the client drops the connection once its data is sent.
                }
            }, timeout.Token);
            var log = new TestLogs();
            var options = new NmeaOptions
            {
                Source = NmeaSourceKind.Tcp,
                Host = "127.0.0.1",
                Port = port,
                GpsdWatch = false,
                ReconnectDelay = TimeSpan.FromMilliseconds(20),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            };
            options.Validated();
            var source = NmeaSources.Create(options, log, TimeProvider.System);

            var fixes = new List<GpsFix>();
            await foreach (var fix in source.ReadFixesAsync(timeout.Token))
            {
                fixes.Add(fix);
                if (fixes.Count == expected.Count)
                {
                    break;
                }
            }

            await server;
            Assert.Equal(2, accepted);
            Assert.Equal(expected.Select(f => f.UnixTimeMs), fixes.Select(f => f.UnixTimeMs));
            Assert.Equal(expected.Select(f => (f.Latitude, f.Longitude)), fixes.Select(f => (f.Latitude, f.Longitude)));
            Assert.Equal(0, source.Statistics.Errors);
            Assert.Equal(2, log.Count("NmeaConnected"));
            Assert.True(log.Count("NmeaConnectionLost") >= 1);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task TcpSource_Gpsd_AsksForRawNmea_AndSkipsGpsdsJson()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var server = Task.Run(async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(timeout.Token);
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                string? command = await reader.ReadLineAsync(timeout.Token);
                string reply = "{\"class\":\"VERSION\",\"release\":\"3.25\",\"proto_major\":3,\"proto_minor\":15}\n"
                    + "{\"class\":\"WATCH\",\"enable\":true,\"json\":false,\"raw\":1}\n"
                    + string.Join("\n", NmeaLines(FuzzyCases)) + "\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), timeout.Token);
                return command;
            }, timeout.Token);
            var options = new NmeaOptions { Source = NmeaSourceKind.Tcp, Host = "127.0.0.1", Port = port };
            options.Validated();
            var source = NmeaSources.Create(options, new TestLogs(), TimeProvider.System);

            var fixes = new List<GpsFix>();
            await foreach (var fix in source.ReadFixesAsync(timeout.Token))
            {
                fixes.Add(fix);
                if (fixes.Count == 14)
                {
                    break;
                }
            }

            string? command = await server;
            Assert.NotNull(command);
            Assert.StartsWith("?WATCH=", command, StringComparison.Ordinal);
            Assert.Contains("\"raw\":1", command, StringComparison.Ordinal);
            Assert.Equal(UnixMs("2020-03-18T13:39:00.900Z"), fixes[^1].UnixTimeMs);
            Assert.Equal(0, source.Statistics.Errors);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task TcpSource_NothingListening_RetriesWithBackoffUntilCancelled()
    {
        // A port that was free a moment ago: connecting is refused.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var log = new TestLogs();
        var options = new NmeaOptions
        {
            Source = NmeaSourceKind.Tcp,
            Host = "127.0.0.1",
            Port = port,
            ReconnectDelay = TimeSpan.FromMilliseconds(10),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        var source = NmeaSources.Create(options, log, TimeProvider.System);
        using var stop = new CancellationTokenSource();

        var reading = Task.Run(async () =>
        {
            int count = 0;
            await foreach (var unused in source.ReadFixesAsync(stop.Token))
            {
                count++;
            }

            return count;
        });
        await log.WaitForAsync("NmeaConnectionLost", 3, TimeSpan.FromSeconds(20));
        await stop.CancelAsync();

        Assert.Equal(0, await reading.WaitAsync(TimeSpan.FromSeconds(10))); // ends quietly, without throwing
        Assert.Equal(0, log.Count("NmeaConnected"));
    }
}
