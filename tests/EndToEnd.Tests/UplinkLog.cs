using System.Globalization;

namespace Convoy.EndToEnd.Tests;

/// <summary>What an agent's uplink said in its log, read from its structured events.</summary>
internal static class UplinkLog
{
    /// <summary>The reconnect delay each UplinkFailed event announced, oldest first.</summary>
    public static List<TimeSpan> Delays(TestLogs logs) =>
        [.. logs.Collector.GetSnapshot()
            .Where(static r => r.Id.Name == "UplinkFailed")
            .Select(static r => TimeSpan.Parse(r.StructuredState!.Single(static p => p.Key == "Delay").Value!, CultureInfo.InvariantCulture))];
}
