using System.IO.Ports;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Reads a receiver on a serial port (8N1, no handshake). A USB receiver that is unplugged, or a
/// port another program holds, is retried with backoff like a dropped TCP connection.
/// </summary>
internal sealed class NmeaSerialSource : ReconnectingNmeaSource
{
    public NmeaSerialSource(NmeaOptions options, ILogger logger, TimeProvider time)
        : base(options, logger, time)
    {
        Endpoint = $"{options.SerialPort}@{options.BaudRate}";
    }

    public override string Endpoint { get; }

    protected override Task<(Stream Stream, IDisposable Owner)> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var port = new SerialPort(Options.SerialPort, Options.BaudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadBufferSize = 4096,
        };
        try
        {
            port.Open();
            return Task.FromResult<(Stream, IDisposable)>((port.BaseStream, port));
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }
}
