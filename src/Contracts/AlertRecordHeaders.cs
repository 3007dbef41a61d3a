namespace Convoy.Contracts;

/// <summary>
/// Headers of a record in a tenant's alert topic <c>alerts.&lt;tenant&gt;</c> (key = device id).
/// A record without <see cref="Record"/> is a <c>convoy.alerts.v1.Alert</c> that the alert engine
/// wrote; one with it is another kind of event about an alert, named by the header's value. A
/// consumer that only wants alerts skips every record that carries the header, whatever its value.
/// An alert raised while evaluating a traced batch carries the alert engine's span for it in W3C's
/// <see cref="TraceParent.Header"/> (and <see cref="TraceParent.StateHeader"/>) header, the end of
/// the batch's trace (docs/operations.md, "Traces").
/// </summary>
public static class AlertRecordHeaders
{
    /// <summary>What kind of record this is, when it is not an alert (UTF-8).</summary>
    public const string Record = "convoy-record";

    /// <summary>
    /// <see cref="Record"/>'s value for a <c>convoy.alerts.v1.AlertAcknowledged</c>: a dispatcher
    /// acknowledged the alert (written by the fleet history read side's AcknowledgeAlert).
    /// </summary>
    public const string AlertAcknowledged = "alert-acknowledged";
}
