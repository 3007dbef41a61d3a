using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Convoy.Contracts.Alerts.V1;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Convoy.AlertEngine.Rules.Files;

/// <summary>
/// Reads and validates tenants' rule files (<c>&lt;tenant&gt;.yaml</c>, <c>.yml</c> or <c>.json</c>
/// in the rules folder) into <see cref="TenantRules"/>. Collects every error rather than stopping
/// at the first; each names the file, the rule and the field, e.g.
/// <c>rules/acme.yaml: rule 'reefer-warm': durationMinutes must be &gt;= 0, was -1</c>.
/// A file with any error yields no rules at all: half a rule set is worse than the last good one.
/// </summary>
internal static partial class RuleFileReader
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static readonly string[] Kinds = ["threshold", "range", "overSpeed", "geofence", "fuelDrop", "rateOfChange", "silent"];

    /// <summary>True for a file name the rules folder reads: <c>&lt;tenant&gt;.yaml</c>, <c>.yml</c> or <c>.json</c>.</summary>
    public static bool IsRuleFile(string path)
    {
        string extension = Path.GetExtension(path);
        return extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase)
            || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase)
            || extension.Equals(".json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Reads every rule file of <paramref name="folder"/>: tenant → rules, for the files that are
    /// valid. Each invalid file adds its errors and is left out.
    /// </summary>
    public static Dictionary<string, TenantRules> ReadFolder(string folder, List<string> errors)
    {
        var tenants = new Dictionary<string, TenantRules>(StringComparer.Ordinal);
        var files = Directory.GetFiles(folder).Where(IsRuleFile).Order(StringComparer.Ordinal).ToArray();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in files)
        {
            string display = Path.Combine(folder, Path.GetFileName(path));
            string tenant = Path.GetFileNameWithoutExtension(path);
            if (seen.TryGetValue(tenant, out string? other))
            {
                errors.Add($"{display}: tenant '{tenant}' already has the rule file {other}; keep one");
                tenants.Remove(tenant);
                continue;
            }

            seen.Add(tenant, display);
            var rules = ReadFile(path, display, errors);
            if (rules is not null)
            {
                tenants[tenant] = rules;
            }
        }

        return tenants;
    }

    /// <summary>Reads one file; null (and its errors added) when it is not valid.</summary>
    public static TenantRules? ReadFile(string path, string display, List<string> errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            errors.Add($"{display}: cannot be read: {e.Message}");
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            errors.Add($"{display}: cannot be read: {e.Message}");
            return null;
        }

        return Parse(text, IsJson(path), display, errors);
    }

    public static bool IsJson(string path) => Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses and validates one file's text; <paramref name="display"/> names it in errors.</summary>
    public static TenantRules? Parse(string text, bool json, string display, List<string> errors)
    {
        int before = errors.Count;
        string tenant = Path.GetFileNameWithoutExtension(display);
        if (!TenantPattern().IsMatch(tenant))
        {
            errors.Add($"{display}: the file name must be a tenant id ([a-z0-9][a-z0-9-]{{0,62}}) and .yaml, .yml or .json; '{tenant}' is not a tenant id");
        }

        RuleFileDocument? document;
        try
        {
            document = json ? JsonSerializer.Deserialize<RuleFileDocument>(text, Json) : Yaml.Deserialize<RuleFileDocument>(text);
        }
        catch (YamlException e)
        {
            string message = Innermost(e);
            var unknown = UnknownYamlField().Match(message);
            errors.Add($"{display}: line {e.Start.Line}, column {e.Start.Column}: {(unknown.Success ? $"unknown field '{unknown.Groups[1].Value}'" : message)}");
            return null;
        }
        catch (JsonException e)
        {
            var unknown = UnknownJsonField().Match(e.Message);
            errors.Add($"{display}: line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: {(unknown.Success ? $"unknown field '{unknown.Groups[1].Value}' at {e.Path}" : e.Message)}");
            return null;
        }

        if (document?.Rules is null)
        {
            errors.Add($"{display}: has no 'rules:' list");
            return null;
        }

        var deviceTags = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (device, tags) in document.Devices ?? [])
        {
            if (!DevicePattern().IsMatch(device))
            {
                errors.Add($"{display}: devices: '{device}' is not a device id (1..64 characters of [A-Za-z0-9._-])");
            }

            foreach (string tag in tags ?? [])
            {
                if (!TagPattern().IsMatch(tag ?? string.Empty))
                {
                    errors.Add($"{display}: devices: '{device}': tag '{tag}' must be 1..64 characters of [A-Za-z0-9._-]");
                }
            }

            deviceTags[device] = [.. tags ?? []];
        }

        var rules = new List<(object, RuleScope)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < document.Rules.Count; i++)
        {
            var rule = document.Rules[i];
            if (rule is null)
            {
                errors.Add($"{display}: rule #{i + 1} is empty");
                continue;
            }

            var check = new Check(display, rule.Id, i, errors);
            if (rule.Id is not null && !ids.Add(rule.Id))
            {
                check.Error("id", "is used by another rule of this file");
            }

            var compiled = Compile(rule, check);
            var scope = Scope(rule, check);
            if (compiled is not null && check.Ok)
            {
                rules.Add((compiled, scope));
            }
        }

        return errors.Count == before ? new TenantRules(display, rules, deviceTags) : null;
    }

    private static object? Compile(RuleDocument rule, Check check)
    {
        if (rule.Id is null || !TagPattern().IsMatch(rule.Id))
        {
            check.Error("id", $"must be 1..64 characters of [A-Za-z0-9._-], was '{rule.Id}'");
        }

        var severity = Severity(rule, check);
        string id = rule.Id ?? string.Empty;
        switch (rule.Kind?.ToUpperInvariant())
        {
            case "THRESHOLD":
            {
                var (signal, zone) = SignalAndZone(rule, check);
                var @for = Minutes(check, "durationMinutes", rule.DurationMinutes, 0, mustBePositive: false);
                var clearFor = Minutes(check, "clearDurationMinutes", rule.ClearDurationMinutes, 0, mustBePositive: false);
                if (rule.Above is null == rule.Below is null)
                {
                    check.Error("above", "or below: give exactly one");
                    return null;
                }

                if (rule.Above is { } above)
                {
                    float upper = Finite(check, "above", above);
                    float clear = Finite(check, "clearBelow", rule.ClearBelow ?? above);
                    if (clear > upper)
                    {
                        check.Error("clearBelow", $"must be at or below above ({upper.ToString(CultureInfo.InvariantCulture)}), was {clear.ToString(CultureInfo.InvariantCulture)}");
                    }

                    return new LevelRule(id, severity, signal, zone, LevelMode.Above, float.NaN, upper, float.NaN, clear, @for, clearFor);
                }

                float lower = Finite(check, "below", rule.Below!.Value);
                float clearAbove = Finite(check, "clearAbove", rule.ClearAbove ?? rule.Below.Value);
                if (clearAbove < lower)
                {
                    check.Error("clearAbove", $"must be at or above below ({lower.ToString(CultureInfo.InvariantCulture)}), was {clearAbove.ToString(CultureInfo.InvariantCulture)}");
                }

                return new LevelRule(id, severity, signal, zone, LevelMode.Below, lower, float.NaN, clearAbove, float.NaN, @for, clearFor);
            }

            case "RANGE":
            {
                var (signal, zone) = SignalAndZone(rule, check);
                var @for = Minutes(check, "durationMinutes", rule.DurationMinutes, 0, mustBePositive: false);
                var clearFor = Minutes(check, "clearDurationMinutes", rule.ClearDurationMinutes, 0, mustBePositive: false);
                float min = Finite(check, "min", Required(check, "min", rule.Min));
                float max = Finite(check, "max", Required(check, "max", rule.Max));
                float h = Finite(check, "hysteresis", rule.Hysteresis ?? 0);
                if (min > max)
                {
                    check.Error("max", $"must be at or above min ({min.ToString(CultureInfo.InvariantCulture)}), was {max.ToString(CultureInfo.InvariantCulture)}");
                }
                else if (h < 0 || min + h > max - h)
                {
                    check.Error("hysteresis", $"must be >= 0 and at most half of max - min, was {h.ToString(CultureInfo.InvariantCulture)}");
                }

                return new LevelRule(id, severity, signal, zone, LevelMode.Outside, min, max, min + h, max - h, @for, clearFor);
            }

            case "OVERSPEED":
            {
                float above = Finite(check, "aboveKmh", Required(check, "aboveKmh", rule.AboveKmh));
                var options = new SpeedRuleOptions
                {
                    Id = id,
                    AboveKmh = above,
                    ClearAtOrBelowKmh = rule.ClearAtOrBelowKmh is { } c ? (float)c : null,
                    For = Minutes(check, "durationMinutes", rule.DurationMinutes, 1, mustBePositive: false),
                    ClearFor = Minutes(check, "clearDurationMinutes", rule.ClearDurationMinutes, 1, mustBePositive: false),
                    Severity = severity,
                };
                if (above is < 0 or > 400)
                {
                    check.Error("aboveKmh", $"must be a speed in 0..400 km/h, was {above.ToString(CultureInfo.InvariantCulture)}");
                }
                else if (!float.IsFinite(options.ClearThresholdKmh) || options.ClearThresholdKmh > above || options.ClearThresholdKmh < 0)
                {
                    check.Error("clearAtOrBelowKmh", $"must be in 0..aboveKmh ({above.ToString(CultureInfo.InvariantCulture)}), was {options.ClearThresholdKmh.ToString(CultureInfo.InvariantCulture)}");
                }

                return check.Ok ? new SpeedRule(options) : null;
            }

            case "GEOFENCE":
                return Geofence(id, severity, rule, check);

            case "FUELDROP":
            {
                float drop = Finite(check, "dropPercent", Required(check, "dropPercent", rule.DropPercent));
                var within = Minutes(check, "withinMinutes", Required(check, "withinMinutes", rule.WithinMinutes), 0, mustBePositive: true);
                float still = Finite(check, "stationaryBelowKmh", rule.StationaryBelowKmh ?? 1);
                if (drop is <= 0 or >= 100)
                {
                    check.Error("dropPercent", $"must be a percentage 0 < p < 100, was {drop.ToString(CultureInfo.InvariantCulture)}");
                }

                if (still is <= 0 or > 20)
                {
                    check.Error("stationaryBelowKmh", $"must be a speed 0 < v <= 20 km/h, was {still.ToString(CultureInfo.InvariantCulture)}");
                }

                return check.Ok
                    ? new FuelTheftRule(new FuelTheftRuleOptions { Id = id, DropPercent = drop, Within = within, StationaryBelowKmh = still, Severity = severity })
                    : null;
            }

            case "RATEOFCHANGE":
            {
                var (signal, zone) = SignalAndZone(rule, check);
                float rise = Finite(check, "risePerMinute", Required(check, "risePerMinute", rule.RisePerMinute));
                float clear = Finite(check, "clearRisePerMinute", rule.ClearRisePerMinute ?? (rule.RisePerMinute ?? 0) / 2);
                if (!(rise > 0))
                {
                    check.Error("risePerMinute", $"must be > 0, was {rise.ToString(CultureInfo.InvariantCulture)}");
                }
                else if (clear > rise)
                {
                    check.Error("clearRisePerMinute", $"must be at or below risePerMinute ({rise.ToString(CultureInfo.InvariantCulture)}), was {clear.ToString(CultureInfo.InvariantCulture)}");
                }

                var @for = Minutes(check, "durationMinutes", rule.DurationMinutes, 0, mustBePositive: false);
                var clearFor = Minutes(check, "clearDurationMinutes", rule.ClearDurationMinutes, 2, mustBePositive: false);
                return new RateRule(id, severity, signal, zone, rise, clear, @for, clearFor);
            }

            case "SILENT":
                return new SilentRule(id, severity, Minutes(check, "silentMinutes", Required(check, "silentMinutes", rule.SilentMinutes), 0, mustBePositive: true));

            default:
                check.Error("kind", $"must be one of {string.Join(", ", Kinds)}, was '{rule.Kind}'");
                return null;
        }
    }

    private static GeofenceRule? Geofence(string id, Severity severity, RuleDocument rule, Check check)
    {
        var options = new GeofenceRuleOptions { Id = id, Severity = severity };
        switch (rule.Trigger?.ToUpperInvariant())
        {
            case "ENTER":
                options.AlertWhen = GeofenceAlertWhen.Inside;
                options.For = Minutes(check, "durationMinutes", rule.DurationMinutes, 0, mustBePositive: false);
                break;
            case "EXIT":
                options.AlertWhen = GeofenceAlertWhen.Outside;
                options.For = Minutes(check, "durationMinutes", rule.DurationMinutes, 0, mustBePositive: false);
                break;
            case "DWELL":
                options.AlertWhen = GeofenceAlertWhen.Inside;
                options.For = Minutes(check, "dwellMinutes", Required(check, "dwellMinutes", rule.DwellMinutes), 0, mustBePositive: true);
                break;
            default:
                check.Error("trigger", $"must be enter, exit or dwell, was '{rule.Trigger}'");
                break;
        }

        options.ClearFor = Minutes(check, "clearDurationMinutes", rule.ClearDurationMinutes, 0, mustBePositive: false);
        if (rule.Circle is null == rule.Polygon is null)
        {
            check.Error("circle", "or polygon: give exactly one");
            return null;
        }

        if (rule.Circle is { } circle)
        {
            options.CentreLatitudeDeg = Position(check, "circle.latitude", Required(check, "circle.latitude", circle.Latitude), 90);
            options.CentreLongitudeDeg = Position(check, "circle.longitude", Required(check, "circle.longitude", circle.Longitude), 180);
            options.RadiusM = Required(check, "circle.radiusM", circle.RadiusM);
            if (!double.IsFinite(options.RadiusM) || options.RadiusM is <= 0 or > 500_000)
            {
                check.Error("circle.radiusM", $"must be 0 < radiusM <= 500000 metres, was {options.RadiusM.ToString(CultureInfo.InvariantCulture)}");
            }
        }
        else
        {
            var polygon = rule.Polygon!;
            if (polygon.Count < 3)
            {
                check.Error("polygon", $"needs at least 3 [latitude, longitude] vertices, has {polygon.Count}");
            }

            for (int v = 0; v < polygon.Count; v++)
            {
                if (polygon[v] is not { Length: 2 } vertex)
                {
                    check.Error($"polygon[{v}]", "must be [latitude, longitude]");
                    continue;
                }

                options.Polygon.Add(new GeoPoint
                {
                    LatitudeDeg = Position(check, $"polygon[{v}] latitude", vertex[0], 90),
                    LongitudeDeg = Position(check, $"polygon[{v}] longitude", vertex[1], 180),
                });
            }
        }

        return check.Ok ? new GeofenceRule(options) : null;
    }

    private static RuleScope Scope(RuleDocument rule, Check check)
    {
        foreach (string device in rule.Devices ?? [])
        {
            if (!DevicePattern().IsMatch(device ?? string.Empty))
            {
                check.Error("devices", $"'{device}' is not a device id (1..64 characters of [A-Za-z0-9._-])");
            }
        }

        foreach (string tag in rule.Tags ?? [])
        {
            if (!TagPattern().IsMatch(tag ?? string.Empty))
            {
                check.Error("tags", $"'{tag}' must be 1..64 characters of [A-Za-z0-9._-]");
            }
        }

        return rule.Devices is null && rule.Tags is null ? RuleScope.Everyone : new RuleScope(rule.Devices ?? [], rule.Tags ?? []);
    }

    private static Severity Severity(RuleDocument rule, Check check)
    {
        switch (rule.Severity?.ToUpperInvariant())
        {
            case null:
            case "WARNING":
                return Contracts.Alerts.V1.Severity.Warning;
            case "INFO":
                return Contracts.Alerts.V1.Severity.Info;
            case "CRITICAL":
                return Contracts.Alerts.V1.Severity.Critical;
            default:
                check.Error("severity", $"must be info, warning or critical, was '{rule.Severity}'");
                return Contracts.Alerts.V1.Severity.Warning;
        }
    }

    private static (Signal, uint) SignalAndZone(RuleDocument rule, Check check)
    {
        var signal = Signal.Temperature;
        if (rule.Signal is not null && !Signals.TryParse(rule.Signal, out signal))
        {
            check.Error("signal", $"must be one of {string.Join(", ", Signals.Names)}, was '{rule.Signal}'");
        }

        uint zone = rule.Zone ?? 0;
        if (zone > 8)
        {
            check.Error("zone", $"must be 1..8, or 0 for every zone, was {zone}");
        }
        else if (zone != 0 && signal != Signal.Temperature)
        {
            check.Error("zone", $"applies to the temperature signal only, not {Signals.Names[(int)signal]}");
        }

        return (signal, zone);
    }

    private static double Required(Check check, string field, double? value)
    {
        if (value is null)
        {
            check.Error(field, "is required");
            return 0;
        }

        return value.Value;
    }

    private static float Finite(Check check, string field, double value)
    {
        float f = (float)value;
        if (!float.IsFinite(f))
        {
            check.Error(field, $"must be a finite number, was {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return f;
    }

    private static double Position(Check check, string field, double value, double limit)
    {
        if (!double.IsFinite(value) || Math.Abs(value) > limit)
        {
            check.Error(field, $"must be in -{limit}..{limit} degrees, was {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return value;
    }

    private static TimeSpan Minutes(Check check, string field, double? minutes, double fallback, bool mustBePositive)
    {
        double m = minutes ?? fallback;
        if (!double.IsFinite(m) || (mustBePositive ? m <= 0 : m < 0) || m > 7 * 24 * 60)
        {
            check.Error(field, $"must be {(mustBePositive ? "> 0" : ">= 0")} and at most a week (10080), was {m.ToString(CultureInfo.InvariantCulture)}");
            return TimeSpan.Zero;
        }

        return TimeSpan.FromMinutes(m);
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex TenantPattern();

    [GeneratedRegex("^Property '([^']*)' not found on type")]
    private static partial Regex UnknownYamlField();

    [GeneratedRegex("^The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnknownJsonField();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex DevicePattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TagPattern();

    /// <summary>Errors of one rule, prefixed with its file and id (or its position when it has no id).</summary>
    private sealed class Check(string file, string? id, int index, List<string> errors)
    {
        private readonly int _before = errors.Count;
        private readonly HashSet<string> _fields = new(StringComparer.Ordinal);

        public bool Ok => errors.Count == _before;

        /// <summary>Adds an error; only the first for a field (a missing field is not also out of range).</summary>
        public void Error(string field, string message)
        {
            if (_fields.Add(field))
            {
                errors.Add(id is null ? $"{file}: rule #{index + 1}: {field} {message}" : $"{file}: rule '{id}': {field} {message}");
            }
        }
    }
}
