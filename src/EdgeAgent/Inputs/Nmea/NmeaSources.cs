using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// A GPS receiver input: yields the receiver's fixes until cancelled (a file: until its end).
/// Only <see cref="GpsFix.Valid"/> fixes are yielded unless <see cref="NmeaOptions.IncludeNoFix"/>.
/// A source keeps the receiver's epoch across reconnects, so it is enumerated by one reader at a time.
/// </summary>
internal interface INmeaSource
{
    /// <summary>What the source reads, for logs: a path, host:port or serial port.</summary>
    string Endpoint { get; }

    /// <summary>Every line read so far, by outcome.</summary>
    NmeaStatistics Statistics { get; }

    IAsyncEnumerable<GpsFix> ReadFixesAsync(CancellationToken cancellationToken);
}

/// <summary>Makes the configured source, and feeds one into a channel.</summary>
internal static class NmeaSources
{
    /// <summary>The source <paramref name="options"/> name; checked first by <see cref="NmeaOptionsValidator"/> (at start).</summary>
    public static INmeaSource Create(NmeaOptions options, ILogger logger, TimeProvider time) => options.Source switch
    {
        NmeaSourceKind.File => new NmeaFileSource(options, logger, time),
        NmeaSourceKind.Serial => new NmeaSerialSource(options, logger, time),
        _ => new NmeaTcpSource(options, logger, time),
    };

    /// <summary>
    /// Writes every fix of <paramref name="source"/> to <paramref name="writer"/> until the source
    /// ends or <paramref name="cancellationToken"/> is cancelled; waits when the channel is full.
    /// Does not complete the writer: the caller owns it.
    /// </summary>
    public static async Task WriteToAsync(this INmeaSource source, ChannelWriter<GpsFix> writer, CancellationToken cancellationToken)
    {
        await foreach (var fix in source.ReadFixesAsync(cancellationToken))
        {
            await writer.WriteAsync(fix, cancellationToken);
        }
    }
}

/// <summary>Logs when the receiver gains or loses its fix, once per change rather than once per epoch.</summary>
internal sealed class FixStateLog(ILogger logger, string endpoint)
{
    private bool? _valid;

    public void Observe(in GpsFix fix)
    {
        if (_valid == fix.Valid)
        {
            return;
        }

        _valid = fix.Valid;
        if (fix.Valid)
        {
            NmeaLog.FixAcquired(logger, endpoint);
        }
        else
        {
            NmeaLog.FixLost(logger, endpoint);
        }
    }
}
