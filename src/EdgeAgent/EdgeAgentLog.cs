using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent;

/// <summary>The agent's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class EdgeAgentLog
{
    [LoggerMessage(EventId = 1, EventName = "SimulatorStarted", Level = LogLevel.Information,
        Message = "Simulating {Trucks} truck(s) of tenant {Tenant} at {TimeScale}x real time, starting {StartInPast} in the past")]
    public static partial void SimulatorStarted(ILogger logger, int trucks, string tenant, double timeScale, TimeSpan startInPast);

    [LoggerMessage(EventId = 10, EventName = "UplinkConnected", Level = LogLevel.Debug,
        Message = "{Device} connected to {Collector}; window {Window}, resending after sequence {Acked}")]
    public static partial void Connected(ILogger logger, string device, Uri collector, int window, ulong acked);

    [LoggerMessage(EventId = 11, EventName = "UplinkFailed", Level = LogLevel.Warning,
        Message = "{Device} lost its stream to {Collector}: {Status} {Detail}; reconnecting in {Delay}")]
    public static partial void UplinkFailed(ILogger logger, string device, Uri collector, string status, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 13, EventName = "UplinkBatchDeadLettered", Level = LogLevel.Error,
        Message = "The collector {Collector} refused batch {Sequence} of {Device} for good ({Status}): {Detail}. It is kept in the dead-letter area, not sent again; the uplink goes on with the next batch")]
    public static partial void BatchDeadLettered(ILogger logger, string device, ulong sequence, Uri collector, string status, string detail);

    [LoggerMessage(EventId = 16, EventName = "BatchRefused", Level = LogLevel.Error,
        Message = "{Device}: a batch of {Readings} reading(s) was not buffered, because the collector would refuse it ({Reason}): {Problem}")]
    public static partial void BatchRefused(ILogger logger, string device, int readings, string reason, string problem);

    [LoggerMessage(EventId = 12, EventName = "SystemTrustStoreLoaded", Level = LogLevel.Information,
        Message = "The operating system's CA bundle stays loadable ({Reason}); it costs about 1.8 MB of memory at the first TLS handshake")]
    public static partial void SystemTrustStoreLoaded(ILogger logger, string reason);

    [LoggerMessage(EventId = 14, EventName = "DeviceCertificateReloaded", Level = LogLevel.Information,
        Message = "Reloaded the device certificate of {Device} from {Path}; the next connection presents it")]
    public static partial void DeviceCertificateReloaded(ILogger logger, string device, string path);

    [LoggerMessage(EventId = 15, EventName = "DeviceCertificateReloadFailed", Level = LogLevel.Warning,
        Message = "Could not reload the device certificate of {Device}, presenting the one in use until the files change again: {Reason}")]
    public static partial void DeviceCertificateReloadFailed(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 20, EventName = "BatchesDropped", Level = LogLevel.Warning,
        Message = "{Device}: buffer full, dropped {Dropped} unacknowledged batch(es) so far")]
    public static partial void BatchesDropped(ILogger logger, string device, long dropped);

    [LoggerMessage(EventId = 30, EventName = "SensorMarksNotSaved", Level = LogLevel.Warning,
        Message = "The newest stored time per sensor could not be saved in {Folder}: {Reason}; readings the broker sends again after a restart may be stored twice")]
    public static partial void SensorMarksNotSaved(ILogger logger, string folder, string reason);
}
