using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>The GPS input's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class NmeaLog
{
    [LoggerMessage(EventId = 100, EventName = "NmeaConnected", Level = LogLevel.Information,
        Message = "GPS input connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 101, EventName = "NmeaConnectionLost", Level = LogLevel.Warning,
        Message = "GPS input {Endpoint} lost: {Reason}; reconnecting in {Delay}")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 102, EventName = "NmeaReplayFinished", Level = LogLevel.Information,
        Message = "Replayed {Path}: {Fixes} fix(es); lines: {Statistics}")]
    public static partial void ReplayFinished(ILogger logger, string path, long fixes, NmeaStatistics statistics);

    [LoggerMessage(EventId = 103, EventName = "NmeaFixAcquired", Level = LogLevel.Information,
        Message = "GPS input {Endpoint} has a fix")]
    public static partial void FixAcquired(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 104, EventName = "NmeaFixLost", Level = LogLevel.Warning,
        Message = "GPS input {Endpoint} reports no fix; positions are withheld until it has one")]
    public static partial void FixLost(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 105, EventName = "GpsTimeCorrection", Level = LogLevel.Warning,
        Message = "GPS from {Endpoint}: fix times are now corrected by {Correction} (receiver said {ReceiverTime:u}, stamped {Stamped:u}); None means the receiver's time agrees with the gateway's clock again")]
    public static partial void GpsTimeCorrection(ILogger logger, string endpoint, string correction, DateTimeOffset receiverTime, DateTimeOffset stamped);
}
