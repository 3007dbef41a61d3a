using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;

namespace Convoy.TenantConsole.Components;

/// <summary>A truck's status at a glance, from its firing alerts and when it was last heard from.</summary>
public enum TruckStatus
{
    Ok,
    Info,
    Warning,
    Critical,
    Silent,
}

/// <summary>How the console colours and names a truck's status; the map and the lists use the same.</summary>
public static class FleetStatus
{
    public static TruckStatus Of(DeviceState device, DateTimeOffset now, TimeSpan silentAfter)
    {
        ArgumentNullException.ThrowIfNull(device);
        var worst = device.FiringAlerts.Count == 0 ? Severity.Unspecified : device.FiringAlerts.Max(static a => a.Severity);
        return worst switch
        {
            Severity.Critical => TruckStatus.Critical,
            Severity.Warning => TruckStatus.Warning,
            Severity.Info => TruckStatus.Info,
            _ when now.ToUnixTimeMilliseconds() - device.LastSeenUnixMs > silentAfter.TotalMilliseconds => TruckStatus.Silent,
            _ => TruckStatus.Ok,
        };
    }

    /// <summary>Fill colours, each with at least 4.5:1 contrast against white text.</summary>
    public static string Colour(TruckStatus status) => status switch
    {
        TruckStatus.Critical => "#b71c1c",
        TruckStatus.Warning => "#b45309",
        TruckStatus.Info => "#1565c0",
        TruckStatus.Silent => "#616161",
        _ => "#2e7d32",
    };

    public static string Label(TruckStatus status) => status switch
    {
        TruckStatus.Critical => "critical alert",
        TruckStatus.Warning => "warning",
        TruckStatus.Info => "info",
        TruckStatus.Silent => "silent",
        _ => "ok",
    };

    public static string Ago(long unixMs, DateTimeOffset now)
    {
        if (unixMs <= 0)
        {
            return "never";
        }

        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        return age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)} s ago"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours} h ago"
            : $"{(int)age.TotalDays} days ago";
    }

    public static string Time(long unixMs) =>
        unixMs <= 0 ? "–" : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
