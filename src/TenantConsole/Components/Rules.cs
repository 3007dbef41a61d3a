using Convoy.Contracts.Fleet.V1;

namespace Convoy.TenantConsole.Components;

/// <summary>What the pages read from the tenant's rules: which apply to a truck, and each reefer zone's allowed range.</summary>
public static class RuleLookup
{
    /// <summary>The rules that apply to <paramref name="device"/> with <paramref name="tags"/>, as the engine scopes them.</summary>
    public static IEnumerable<RuleView> For(IEnumerable<RuleView> rules, string device, IReadOnlyCollection<string> tags) =>
        rules.Where(r => (r.Devices.Count == 0 && r.Tags.Count == 0) || r.Devices.Contains(device) || r.Tags.Any(tags.Contains));

    /// <summary>The temperature thresholds of a zone (a rule for zone 0 applies to every zone).</summary>
    public static IEnumerable<(double? Below, double? Above, string RuleId)> Thresholds(IEnumerable<RuleView> rules, uint zone) =>
        rules.Where(r => r.Kind == "temperature" && (r.Zone == 0 || r.Zone == zone))
            .Select(static r => (r.HasBelow ? r.Below : (double?)null, r.HasAbove ? r.Above : (double?)null, r.Id));

    /// <summary>
    /// Each zone's range for the cold-chain report, "zone:min:max", from the temperature rules: the
    /// highest "below" and the lowest "above" of the zone's rules. A zone with only an upper limit
    /// gets -40 °C (colder than any reefer runs) as its lower one, and with only a lower limit
    /// 40 °C as its upper one.
    /// </summary>
    public static List<string> ZoneRanges(IEnumerable<RuleView> rules)
    {
        var ranges = new List<string>();
        var temperature = rules.Where(static r => r.Kind == "temperature").ToList();
        var zones = temperature.Select(static r => r.Zone).Where(static z => z > 0).Distinct().Order().ToList();
        if (zones.Count == 0 && temperature.Count > 0)
        {
            zones.Add(1);
        }

        foreach (uint zone in zones)
        {
            var limits = Thresholds(temperature, zone).ToList();
            double? min = limits.Where(static l => l.Below is not null).Select(static l => l.Below!.Value).DefaultIfEmpty(double.NaN).Max();
            double? max = limits.Where(static l => l.Above is not null).Select(static l => l.Above!.Value).DefaultIfEmpty(double.NaN).Min();
            double low = double.IsNaN(min ?? double.NaN) ? -40 : min!.Value;
            double high = double.IsNaN(max ?? double.NaN) ? 40 : max!.Value;
            if (low < high)
            {
                ranges.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{zone}:{low}:{high}"));
            }
        }

        return ranges;
    }
}
