using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>
/// Logs refused messages at most once per reason per interval, so that a publisher gone wrong (a
/// thousand bad messages a minute) costs one warning a minute, not a full disk. The first refusal
/// of each reason is logged at once; later ones within the interval are counted into the next report.
/// Called from the one receive loop only.
/// </summary>
internal sealed class MqttRejectionLog
{
    private const int PayloadExcerptBytes = 160;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly long[] _lastLogged = new long[(int)MqttOutcome.AbsurdTimestamp + 1];
    private readonly long[] _suppressed = new long[(int)MqttOutcome.AbsurdTimestamp + 1];
    private readonly bool[] _everLogged = new bool[(int)MqttOutcome.AbsurdTimestamp + 1];

    public MqttRejectionLog(ILogger logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _time = time;
        _interval = interval;
    }

    public void Report(MqttOutcome outcome, string topic, in ReadOnlySequence<byte> payload)
    {
        int i = (int)outcome;
        if (_everLogged[i] && _time.GetElapsedTime(_lastLogged[i]) < _interval)
        {
            _suppressed[i]++;
            return;
        }

        if (_logger.IsEnabled(LogLevel.Warning))
        {
            MqttLog.Rejected(_logger, topic, MqttStatistics.OutcomeTags[i], Excerpt(payload), _suppressed[i]);
        }

        _everLogged[i] = true;
        _lastLogged[i] = _time.GetTimestamp();
        _suppressed[i] = 0;
    }

    /// <summary>The start of the payload as text an operator can read in a log line (control characters escaped).</summary>
    private static string Excerpt(in ReadOnlySequence<byte> payload)
    {
        var head = payload.Slice(0, Math.Min(payload.Length, PayloadExcerptBytes));
        string text = Encoding.UTF8.GetString(head);
        var builder = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                builder.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (payload.Length > PayloadExcerptBytes)
        {
            builder.Append($"... ({payload.Length} bytes)");
        }

        return payload.IsEmpty ? "(empty payload)" : builder.ToString();
    }
}
