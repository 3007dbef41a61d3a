namespace Convoy.Collector;

/// <summary>The collector's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class CollectorLog
{
    [LoggerMessage(EventId = 1, EventName = "CollectorListening", Level = LogLevel.Information,
        Message = "Collector listening on {Endpoint} (HTTP/2, TLS; device certificates or partner tokens); Kafka at {BootstrapServers}")]
    public static partial void Listening(ILogger logger, string endpoint, string bootstrapServers);

    [LoggerMessage(EventId = 2, EventName = "DevCertificatesInUse", Level = LogLevel.Warning,
        Message = "Using DEVELOPMENT certificates from {Folder} (CA: {AuthorityPath}). Never use them in production; set Collector:ServerCertificate, Collector:ServerKey and Collector:DeviceTrustRoots instead.")]
    public static partial void DevCertificatesInUse(ILogger logger, string folder, string authorityPath);

    [LoggerMessage(EventId = 10, EventName = "DeviceCertificateRefused", Level = LogLevel.Warning,
        Message = "Refused device certificate {Subject} (serial {Serial}) from {Remote} in the TLS handshake: {Reason}")]
    public static partial void DeviceCertificateRefused(ILogger logger, string subject, string serial, string remote, string reason);

    [LoggerMessage(EventId = 20, EventName = "StreamOpened", Level = LogLevel.Debug,
        Message = "Stream opened by {Tenant}/{Device} from {Remote}; resuming after sequence {AckedSequence}")]
    public static partial void StreamOpened(ILogger logger, string tenant, string device, string? remote, ulong ackedSequence);

    [LoggerMessage(EventId = 21, EventName = "StreamClosed", Level = LogLevel.Debug,
        Message = "Stream of {Tenant}/{Device} closed; highest acknowledged sequence {AckedSequence}")]
    public static partial void StreamClosed(ILogger logger, string tenant, string device, ulong ackedSequence);

    [LoggerMessage(EventId = 23, EventName = "StreamAbandoned", Level = LogLevel.Information,
        Message = "Device {Tenant}/{Device} at {Remote} went away mid-stream ({Reason}); acknowledged through {AckedSequence}, its writes in flight still land")]
    public static partial void StreamAbandoned(ILogger logger, string tenant, string device, string? remote, ulong ackedSequence, string reason);

    [LoggerMessage(EventId = 22, EventName = "StreamReplaced", Level = LogLevel.Warning,
        Message = "Device {Tenant}/{Device}: a new stream from {NewRemote} replaces the one from {OldRemote}")]
    public static partial void StreamReplaced(ILogger logger, string tenant, string device, string? oldRemote, string? newRemote);

    [LoggerMessage(EventId = 30, EventName = "BatchRefused", Level = LogLevel.Information,
        Message = "Refused batch {Sequence} of {Tenant}/{Device}: {Status} {Reason}")]
    public static partial void BatchRefused(ILogger logger, string tenant, string device, ulong sequence, Grpc.Core.StatusCode status, string reason);

    [LoggerMessage(EventId = 40, EventName = "KafkaWriteFailed", Level = LogLevel.Warning,
        Message = "Kafka did not confirm batch {Sequence} of {Tenant}/{Device}: {Error}. The device will be told UNAVAILABLE and send it again.")]
    public static partial void KafkaWriteFailed(ILogger logger, string tenant, string device, ulong sequence, string error);

    [LoggerMessage(EventId = 41, EventName = "KafkaProducerError", Level = LogLevel.Warning,
        Message = "Kafka producer: {Error}")]
    public static partial void KafkaProducerError(ILogger logger, string error);

    [LoggerMessage(EventId = 52, EventName = "TenantRefused", Level = LogLevel.Warning,
        Message = "Refused a stream of {Tenant}/{Device}: {Status} {Reason}")]
    public static partial void TenantRefused(ILogger logger, string tenant, string device, Grpc.Core.StatusCode status, string reason);

    [LoggerMessage(EventId = 3, EventName = "CertificatesReloaded", Level = LogLevel.Information,
        Message = "Reloaded the {What} from {Path}; new connections use it, open streams continue")]
    public static partial void CertificatesReloaded(ILogger logger, string what, string path);

    [LoggerMessage(EventId = 4, EventName = "CertificatesReloadFailed", Level = LogLevel.Error,
        Message = "Could not reload certificates, keeping the ones in use: {Reason}")]
    public static partial void CertificatesReloadFailed(ILogger logger, string reason);
    [LoggerMessage(EventId = 11, EventName = "AccessRefused", Level = LogLevel.Warning,
        Message = "Refused {Principal} of tenant {Tenant} (certificate serial {Serial}) from {Remote}: {Status} {Reason}: {Detail}")]
    public static partial void AccessRefused(ILogger logger, string tenant, string principal, string serial, string remote, Grpc.Core.StatusCode status, string reason, string detail);

    // Event ids 5 and 6 are the partner keys' reloads, logged by Convoy.Tokens' TokensLog
    // (TokenKeysReloaded, TokenKeysReloadFailed) to the logger the collector gives them.

    [LoggerMessage(EventId = 60, EventName = "AlertWatchStarted", Level = LogLevel.Information,
        Message = "{Subject} of tenant {Tenant} watches {Topic} from {Start} ({Remote})")]
    public static partial void AlertWatchStarted(ILogger logger, string tenant, string subject, string topic, string start, string remote);

    [LoggerMessage(EventId = 61, EventName = "AlertWatchEnded", Level = LogLevel.Information,
        Message = "{Subject} of tenant {Tenant} stopped watching alerts after {Alerts} alert(s): {Why}")]
    public static partial void AlertWatchEnded(ILogger logger, string tenant, string subject, long alerts, string why);

    [LoggerMessage(EventId = 62, EventName = "AlertRecordSkipped", Level = LogLevel.Warning,
        Message = "Skipped record {Topic}[{Partition}]@{Offset}: {Why}")]
    public static partial void AlertRecordSkipped(ILogger logger, string topic, int partition, long offset, string why);
}
