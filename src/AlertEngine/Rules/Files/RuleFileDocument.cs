namespace Convoy.AlertEngine.Rules.Files;

// The shape of a tenant's rule file, as YAML or JSON (camelCase field names). Every field is
// optional here so that a missing one is reported by RuleFileReader with the file, rule and field,
// rather than by the parser. Unknown fields are refused by both parsers (a typo must not silently
// turn a rule off).
#pragma warning disable CA1812 // instantiated by YamlDotNet and System.Text.Json
#pragma warning disable CA1819 // polygon vertices are [latitude, longitude] arrays in the file

/// <summary>A rule file: the tenant's device tags and its rules.</summary>
internal sealed class RuleFileDocument
{
    /// <summary>Device id → its tags, for rules scoped by <c>tags:</c>.</summary>
    public Dictionary<string, List<string>>? Devices { get; set; }

    public List<RuleDocument>? Rules { get; set; }
}

/// <summary>One rule as written; which fields apply depends on <see cref="Kind"/>.</summary>
internal sealed class RuleDocument
{
    public string? Id { get; set; }

    public string? Kind { get; set; }

    public string? Severity { get; set; }

    public List<string>? Devices { get; set; }

    public List<string>? Tags { get; set; }

    public string? Signal { get; set; }

    public uint? Zone { get; set; }

    public double? Above { get; set; }

    public double? Below { get; set; }

    public double? ClearBelow { get; set; }

    public double? ClearAbove { get; set; }

    public double? Min { get; set; }

    public double? Max { get; set; }

    public double? Hysteresis { get; set; }

    public double? DurationMinutes { get; set; }

    public double? ClearDurationMinutes { get; set; }

    public double? AboveKmh { get; set; }

    public double? ClearAtOrBelowKmh { get; set; }

    public string? Trigger { get; set; }

    public CircleDocument? Circle { get; set; }

    public List<double[]>? Polygon { get; set; }

    public double? DwellMinutes { get; set; }

    public double? DropPercent { get; set; }

    public double? WithinMinutes { get; set; }

    public double? StationaryBelowKmh { get; set; }

    public double? RisePerMinute { get; set; }

    public double? ClearRisePerMinute { get; set; }

    public double? SilentMinutes { get; set; }
}

internal sealed class CircleDocument
{
    public double? Latitude { get; set; }

    public double? Longitude { get; set; }

    public double? RadiusM { get; set; }
}
