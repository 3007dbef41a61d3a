using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// A source on a connection that can drop (TCP, serial): opens it, reads fixes until it fails,
/// goes silent for <see cref="NmeaOptions.IdleTimeout"/> or is closed by the other side, then
/// flushes the epoch in progress and opens it again after a backoff (exponential with jitter,
/// reset by any connection that delivered lines). Never throws for a connection problem; ends
/// only when cancelled.
/// </summary>
internal abstract class ReconnectingNmeaSource : INmeaSource
{
    private readonly NmeaStreamDecoder _decoder = new();

    protected ReconnectingNmeaSource(NmeaOptions options, ILogger logger, TimeProvider time)
    {
        Options = options;
        Logger = logger;
        Time = time;
    }

    public abstract string Endpoint { get; }

    public NmeaStatistics Statistics => _decoder.Statistics;

    protected NmeaOptions Options { get; }

    protected ILogger Logger { get; }

    protected TimeProvider Time { get; }

    /// <summary>Lines starting with this byte are not NMEA and are skipped (0: none).</summary>
    protected virtual byte SkipPrefix => 0;

    /// <summary>Opens the connection; the returned owner closes it (and is closed from another thread to abort a read).</summary>
    protected abstract Task<(Stream Stream, IDisposable Owner)> OpenAsync(CancellationToken cancellationToken);

    public async IAsyncEnumerable<GpsFix> ReadFixesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var state = new FixStateLog(Logger, Endpoint);
        var backoff = new ReconnectBackoff(Options.ReconnectDelay, Options.ReconnectMaxDelay);
        while (!cancellationToken.IsCancellationRequested)
        {
            long linesBefore = Statistics.Lines;
            string? reason = null;

            // Cancelled by the caller, or by the idle timer (rescheduled on every read, and bounding the connect).
            using var idle = new CancellationTokenSource(Options.IdleTimeout, Time);
            using var link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), idle);

            (Stream? Stream, IDisposable? Owner) connection = default;
            try
            {
                connection = await OpenAsync(idle.Token);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // stopping
            }
            catch (Exception) when (idle.IsCancellationRequested)
            {
                reason = $"no connection within {Options.IdleTimeout}";
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                reason = e.Message;
            }

            if (connection is { Stream: { } stream, Owner: { } owner })
            {
                NmeaLog.Connected(Logger, Endpoint);

                // Closing the connection is what reliably unblocks a pending read, on any stream.
                using var closeOnCancel = idle.Token.UnsafeRegister(static o => ((IDisposable)o!).Dispose(), owner);
                var fixes = _decoder.ReadAsync(stream, SkipPrefix, idle, Options.IdleTimeout, idle.Token).GetAsyncEnumerator(idle.Token);
                try
                {
                    while (true)
                    {
                        bool next = false;
                        try
                        {
                            next = await fixes.MoveNextAsync();
                        }
                        catch (Exception) when (cancellationToken.IsCancellationRequested)
                        {
                            // stopping
                        }
                        catch (Exception) when (idle.IsCancellationRequested)
                        {
                            reason = $"no data for {Options.IdleTimeout}";
                        }
                        catch (Exception e) when (IsConnectionFailure(e))
                        {
                            reason = e.Message;
                        }

                        if (!next)
                        {
                            break;
                        }

                        state.Observe(fixes.Current);
                        if (fixes.Current.Valid || Options.IncludeNoFix)
                        {
                            yield return fixes.Current;
                        }
                    }
                }
                finally
                {
                    await DisposeQuietlyAsync(fixes);
                    owner.Dispose();
                }

                reason ??= "closed by the other side";
            }

            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            // The epoch in progress will not be completed by this connection: deliver it now.
            _decoder.Flush();
            while (_decoder.TryTake(out var fix))
            {
                state.Observe(fix);
                if (fix.Valid || Options.IncludeNoFix)
                {
                    yield return fix;
                }
            }

            if (Statistics.Lines > linesBefore)
            {
                backoff.Reset(); // the receiver was talking: come back after the first delay
            }

            var delay = backoff.NextDelay();
            NmeaLog.ConnectionLost(Logger, Endpoint, reason ?? "unknown", delay);
            if (!await DelayAsync(delay, cancellationToken))
            {
                yield break;
            }
        }
    }

    /// <summary>What a dropped cable, a closed socket or a busy/vanished port throws; anything else is a bug and propagates.</summary>
    protected static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or UnauthorizedAccessException or ObjectDisposedException or TimeoutException or InvalidOperationException or OperationCanceledException;

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, Time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<GpsFix> fixes)
    {
        try
        {
            await fixes.DisposeAsync();
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // Completing the pipe over a connection that already broke; the break was reported.
        }
    }
}
