using Convoy.EdgeAgent.Inputs.Nmea;

namespace Convoy.EdgeAgent.Tests.Nmea;

public sealed class NmeaSerialSourceTests
{
    [Fact]
    public async Task SerialSource_PortMissing_RetriesAsAnUnpluggedReceiver_AndEndsQuietlyWhenCancelled()
    {
        var log = new TestLogs();
        var options = new NmeaOptions
        {
            Source = NmeaSourceKind.Serial,
            SerialPort = OperatingSystem.IsWindows() ? "COM250" : $"/dev/convoy-no-such-gps-{Guid.NewGuid():N}",
            BaudRate = 115200,
            ReconnectDelay = TimeSpan.FromMilliseconds(10),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        options.Validated();
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
        await log.WaitForAsync("NmeaConnectionLost", 2, TimeSpan.FromSeconds(20));
        await stop.CancelAsync();

        Assert.Equal(0, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, log.Count("NmeaConnected"));
        Assert.Contains("@115200", source.Endpoint, StringComparison.Ordinal);
    }
}
