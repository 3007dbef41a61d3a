using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Replays a capture file once, paced by the receiver's own timestamps or as fast as possible.
/// Lines starting with '#' are comments. The last epoch is flushed at the end of the file.
/// </summary>
internal sealed class NmeaFileSource : INmeaSource
{
    private readonly NmeaOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NmeaStreamDecoder _decoder = new();

    public NmeaFileSource(NmeaOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
    }

    public string Endpoint => _options.Path ?? "";

    public NmeaStatistics Statistics => _decoder.Statistics;

    public async IAsyncEnumerable<GpsFix> ReadFixesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool paced = _options.Pacing == NmeaPacing.SentenceTime;
        long maxGapMs = (long)_options.ReplayMaxGap.TotalMilliseconds;
        var state = new FixStateLog(_logger, Endpoint);
        long anchorTimestamp = 0;
        long anchorFixMs = 0;
        long lastFixMs = long.MinValue;
        long delivered = 0;
        await foreach (var fix in ReadAllAsync(cancellationToken))
        {
            if (paced)
            {
                // Wait until as much wall time has passed since the anchor as receiver time did.
                // Going backwards or jumping ahead (a capture spliced from two sessions) re-anchors.
                long sinceLast = fix.UnixTimeMs - lastFixMs;
                if (lastFixMs == long.MinValue || sinceLast < 0 || sinceLast > maxGapMs)
                {
                    anchorTimestamp = _time.GetTimestamp();
                    anchorFixMs = fix.UnixTimeMs;
                }
                else
                {
                    var due = TimeSpan.FromMilliseconds(fix.UnixTimeMs - anchorFixMs) - _time.GetElapsedTime(anchorTimestamp);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, _time, cancellationToken);
                    }
                }

                lastFixMs = fix.UnixTimeMs;
            }

            state.Observe(fix);
            if (fix.Valid || _options.IncludeNoFix)
            {
                delivered++;
                yield return fix;
            }
        }

        NmeaLog.ReplayFinished(_logger, Endpoint, delivered, Statistics);
    }

    private async IAsyncEnumerable<GpsFix> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var file = new FileStream(Endpoint, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 4096, useAsync: true);
        await using (file)
        {
            await foreach (var fix in _decoder.ReadAsync(file, (byte)'#', null, Timeout.InfiniteTimeSpan, cancellationToken))
            {
                yield return fix;
            }
        }

        _decoder.Flush();
        while (_decoder.TryTake(out var fix))
        {
            yield return fix;
        }
    }
}
