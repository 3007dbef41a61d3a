namespace Convoy.FleetHistory.Projection;

/// <summary>Which tenant a topic belongs to: <c>telemetry.&lt;tenant&gt;</c> and <c>alerts.&lt;tenant&gt;</c>.</summary>
internal static class TenantTopics
{
    public const string TelemetryPrefix = "telemetry.";
    public const string AlertsPrefix = "alerts.";

    public static string? TenantOf(string topic) =>
        topic.StartsWith(TelemetryPrefix, StringComparison.Ordinal) ? topic[TelemetryPrefix.Length..]
        : topic.StartsWith(AlertsPrefix, StringComparison.Ordinal) ? topic[AlertsPrefix.Length..]
        : null;

    public static bool IsAlerts(string topic) => topic.StartsWith(AlertsPrefix, StringComparison.Ordinal);
}
