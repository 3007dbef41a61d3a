using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Reads raw NMEA lines from a TCP server: gpsd (asked for raw NMEA with <c>?WATCH</c>, its JSON
/// replies skipped) or a bridge that sends NMEA unasked (ser2net, a GPS-to-TCP app).
/// </summary>
internal sealed class NmeaTcpSource : ReconnectingNmeaSource
{
    // gpsd's request for the receiver's sentences as they come ("raw":1), without its JSON reports.
    private static readonly byte[] GpsdWatchRaw = "?WATCH={\"enable\":true,\"json\":false,\"raw\":1};\n"u8.ToArray();

    public NmeaTcpSource(NmeaOptions options, ILogger logger, TimeProvider time)
        : base(options, logger, time)
    {
        Endpoint = $"{options.Host}:{options.Port}";
    }

    public override string Endpoint { get; }

    protected override byte SkipPrefix => (byte)'{';

    protected override async Task<(Stream Stream, IDisposable Owner)> OpenAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(Options.Host, Options.Port, cancellationToken);
            var stream = client.GetStream();
            if (Options.GpsdWatch)
            {
                await stream.WriteAsync(GpsdWatchRaw, cancellationToken);
            }

            return (stream, client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
