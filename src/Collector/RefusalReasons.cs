using Convoy.Contracts.Telemetry;
using Grpc.Core;

namespace Convoy.Collector;

/// <summary>
/// Every reason the collector refuses a batch, a stream or a call for: the <c>reason</c> label of
/// <c>convoy.collector.batches.refused</c> (with the status it is refused with) and of
/// <c>convoy.collector.access.refused</c>. Their series exist at 0 from start-up
/// (<see cref="CollectorMetrics"/>), so a rate or an alert on a reason works before it first
/// happens. docs/status-codes.md ("Refusal reasons") lists the same reasons; a test keeps the two
/// equal, and that every reason named here is in one of the lists.
/// </summary>
internal static class RefusalReasons
{
    public const string Malformed = BatchProblems.Malformed;
    public const string Empty = BatchProblems.Empty;
    public const string SequenceZero = "sequence-zero";
    public const string SequenceBackwards = "sequence-backwards";
    public const string UploadSequenceOrder = "upload-sequence-order";
    public const string TooLarge = "too-large";
    public const string MetadataTooLarge = "metadata-too-large";
    public const string ClockAhead = BatchProblems.ClockAhead;
    public const string ReadingAhead = BatchProblems.ReadingAhead;
    public const string TooOld = BatchProblems.TooOld;
    public const string UnequalColumns = BatchProblems.UnequalColumns;
    public const string TimeBackwards = BatchProblems.TimeBackwards;
    public const string NotFinite = BatchProblems.NotFinite;
    public const string OutOfRange = BatchProblems.OutOfRange;
    public const string BadWindow = BatchProblems.BadWindow;
    public const string BadZone = BatchProblems.BadZone;
    public const string DuplicateZone = BatchProblems.DuplicateZone;
    public const string UnknownSensorKind = BatchProblems.UnknownSensorKind;
    public const string BadSensorName = BatchProblems.BadSensorName;
    public const string WrongDevice = "wrong-device";
    public const string WrongTenant = "wrong-tenant";
    public const string TenantNotRegistered = "tenant-not-registered";
    public const string TenantDisabled = "tenant-disabled";
    public const string TooManyStreams = "too-many-streams";
    public const string OverReadingsQuota = "over-readings-quota";
    public const string OverBytesQuota = "over-bytes-quota";
    public const string BatchOverBurst = "batch-over-burst";
    public const string OverInFlightQuota = "over-in-flight-quota";
    public const string KafkaQueueFull = "kafka-queue-full";
    public const string TopicMissing = "topic-missing";
    public const string UntrustedCertificate = "untrusted-certificate";
    public const string RevokedCertificate = "revoked-certificate";
    public const string NoIdentity = "no-identity";
    public const string CaOfAnotherTenant = "ca-of-another-tenant";
    public const string NoCredentials = "no-credentials";
    public const string PartnersNotConfigured = "partners-not-configured";
    public const string MissingRole = "missing-role";
    public const string DeviceNotAllowed = "device-not-allowed";

    /// <summary>Why a batch (or a stream, or an upload) is refused, with the status it gets.</summary>
    public static readonly IReadOnlyList<(string Reason, StatusCode Status)> Batch =
    [
        (Malformed, StatusCode.InvalidArgument), (Empty, StatusCode.InvalidArgument), (SequenceZero, StatusCode.InvalidArgument),
        (SequenceBackwards, StatusCode.InvalidArgument), (UploadSequenceOrder, StatusCode.InvalidArgument), (TooLarge, StatusCode.InvalidArgument), (ClockAhead, StatusCode.InvalidArgument),
        (ReadingAhead, StatusCode.InvalidArgument), (TooOld, StatusCode.InvalidArgument), (UnequalColumns, StatusCode.InvalidArgument),
        (TimeBackwards, StatusCode.InvalidArgument), (NotFinite, StatusCode.InvalidArgument), (OutOfRange, StatusCode.InvalidArgument),
        (BadWindow, StatusCode.InvalidArgument), (BadZone, StatusCode.InvalidArgument), (DuplicateZone, StatusCode.InvalidArgument),
        (UnknownSensorKind, StatusCode.InvalidArgument), (BadSensorName, StatusCode.InvalidArgument),
        (WrongDevice, StatusCode.PermissionDenied), (WrongTenant, StatusCode.PermissionDenied),
        (TenantNotRegistered, StatusCode.PermissionDenied), (TenantDisabled, StatusCode.PermissionDenied),
        (TooManyStreams, StatusCode.ResourceExhausted), (OverReadingsQuota, StatusCode.ResourceExhausted), (OverBytesQuota, StatusCode.ResourceExhausted),
        (BatchOverBurst, StatusCode.ResourceExhausted), (OverInFlightQuota, StatusCode.ResourceExhausted),
        (KafkaQueueFull, StatusCode.Unavailable), (TopicMissing, StatusCode.Unavailable),
    ];

    /// <summary>
    /// Why a caller is refused (each also audited): at the TLS handshake, for its credential (the
    /// token-* reasons are the token verifier's, src/Tokens), and for what it may do.
    /// </summary>
    public static readonly IReadOnlyList<string> Access =
    [
        UntrustedCertificate, RevokedCertificate, NoIdentity, CaOfAnotherTenant,
        MetadataTooLarge, NoCredentials, "token-malformed", "token-algorithm", "token-unknown-key", "token-bad-signature", "token-expired", "token-not-yet-valid",
        "token-no-expiry", "token-wrong-issuer", "token-wrong-audience", "token-no-tenant", "token-invalid", "tokens-not-configured",
        PartnersNotConfigured, MissingRole, DeviceNotAllowed,
        TenantNotRegistered, TenantDisabled, WrongDevice, WrongTenant,
    ];
}
