using Grpc.Core;

namespace Convoy.Collector.Validation;

/// <summary>The outcome of validating one batch: OK with its reading count, or a status and a message naming the field.</summary>
/// <remarks><see cref="Reason"/> is a short, stable label of why (for the refusal metric); <see cref="Problem"/> the message for a human.</remarks>
internal readonly record struct BatchVerdict(StatusCode Status, string? Problem, int Readings, string Reason, string? AccessReason = null)
{
    public bool IsValid => Status == StatusCode.OK;

    public static BatchVerdict Valid(int readings) => new(StatusCode.OK, null, readings, string.Empty);

    public static BatchVerdict Invalid(string reason, string problem) => new(StatusCode.InvalidArgument, problem, 0, reason);

    /// <summary>Refused as not this device's to send; <paramref name="reason"/> labels the access-refused metric too.</summary>
    public static BatchVerdict Denied(string problem, string reason) => new(StatusCode.PermissionDenied, problem, 0, reason, reason);
}
