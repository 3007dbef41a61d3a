using Convoy.AlertEngine.Rules.Files;
using Convoy.AlertEngine.Rules;

namespace Convoy.AlertEngine.Tests;

/// <summary>Rule files: every kind compiles; every invalid field is reported with the file, the rule and the field; <c>rules check</c> exit codes.</summary>
public sealed class RuleFileUnitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("convoy-rules-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadFolder_TheShippedExample_CompilesEveryKind()
    {
        var errors = new List<string>();

        var tenants = RuleFileReader.ReadFolder(ExampleFolder(), errors);

        Assert.Empty(errors);
        var acme = tenants["acme"];
        Assert.Equal(9, acme.Count);
        var truck1 = acme.For("truck-1");
        Assert.Single(truck1.Level, r => r.Id == "reefer-warm");
        Assert.Single(truck1.Level, r => r.Id == "cargo-humidity" && r.Mode == LevelMode.Outside);
        Assert.Single(truck1.Rate);
        Assert.Single(truck1.Speed);
        Assert.Equal(3, truck1.Geofence.Length);
        Assert.Single(truck1.Silent);
        Assert.Empty(truck1.FuelTheft); // tanker only
        Assert.Single(acme.For("truck-3").FuelTheft);
        Assert.Empty(acme.For("truck-3").Rate);
    }

    [Fact]
    public void Parse_JsonFile_ReadsTheSameModel()
    {
        var errors = new List<string>();

        var rules = RuleFileReader.Parse("""
            {
              // comments and trailing commas are fine
              "devices": { "truck-1": ["reefer"] },
              "rules": [
                { "id": "reefer-warm", "kind": "threshold", "above": 8, "durationMinutes": 5, "clearBelow": 7.5, "tags": ["reefer"], },
                { "id": "depot", "kind": "geofence", "trigger": "dwell", "dwellMinutes": 30, "polygon": [[52, 4], [53, 4], [53, 5]] },
              ],
            }
            """, json: true, "rules/acme.json", errors);

        Assert.Empty(errors);
        Assert.Equal(2, rules!.Count);
        Assert.Single(rules.For("truck-1").Level);
        Assert.Empty(rules.For("truck-2").Level);
    }

    [Theory]
    [InlineData("kind: threshold\n    above: 8\n    durationMinutes: -1", "rules/acme.yaml: rule 'r': durationMinutes must be >= 0")]
    [InlineData("kind: threshold\n    above: 8\n    below: 2", "rules/acme.yaml: rule 'r': above or below: give exactly one")]
    [InlineData("kind: threshold\n    above: 8\n    clearBelow: 9", "rules/acme.yaml: rule 'r': clearBelow must be at or below above (8), was 9")]
    [InlineData("kind: threshold\n    below: 11\n    clearAbove: 10", "rules/acme.yaml: rule 'r': clearAbove must be at or above below (11)")]
    [InlineData("kind: threshold\n    above: 8\n    zone: 9", "rules/acme.yaml: rule 'r': zone must be 1..8")]
    [InlineData("kind: threshold\n    above: 8\n    signal: speed\n    zone: 2", "rules/acme.yaml: rule 'r': zone applies to the temperature signal only")]
    [InlineData("kind: threshold\n    above: 8\n    signal: pressure", "rules/acme.yaml: rule 'r': signal must be one of temperature, speed")]
    [InlineData("kind: threshold\n    above: 8\n    severity: urgent", "rules/acme.yaml: rule 'r': severity must be info, warning or critical, was 'urgent'")]
    [InlineData("kind: range\n    max: 9", "rules/acme.yaml: rule 'r': min is required")]
    [InlineData("kind: range\n    min: 9\n    max: 2", "rules/acme.yaml: rule 'r': max must be at or above min (9)")]
    [InlineData("kind: range\n    min: 0\n    max: 10\n    hysteresis: 6", "rules/acme.yaml: rule 'r': hysteresis must be >= 0 and at most half")]
    [InlineData("kind: overSpeed", "rules/acme.yaml: rule 'r': aboveKmh is required")]
    [InlineData("kind: overSpeed\n    aboveKmh: 90\n    clearAtOrBelowKmh: 95", "rules/acme.yaml: rule 'r': clearAtOrBelowKmh must be in 0..aboveKmh (90)")]
    [InlineData("kind: geofence\n    trigger: enter", "rules/acme.yaml: rule 'r': circle or polygon: give exactly one")]
    [InlineData("kind: geofence\n    trigger: leave\n    circle: { latitude: 1, longitude: 2, radiusM: 3 }", "rules/acme.yaml: rule 'r': trigger must be enter, exit or dwell, was 'leave'")]
    [InlineData("kind: geofence\n    trigger: dwell\n    circle: { latitude: 1, longitude: 2, radiusM: 3 }", "rules/acme.yaml: rule 'r': dwellMinutes is required")]
    [InlineData("kind: geofence\n    trigger: enter\n    circle: { latitude: 95, longitude: 2, radiusM: 3 }", "rules/acme.yaml: rule 'r': circle.latitude must be in -90..90 degrees, was 95")]
    [InlineData("kind: geofence\n    trigger: enter\n    circle: { latitude: 1, longitude: 2, radiusM: 0 }", "rules/acme.yaml: rule 'r': circle.radiusM must be 0 < radiusM <= 500000")]
    [InlineData("kind: geofence\n    trigger: exit\n    polygon: [[1, 2], [3, 4]]", "rules/acme.yaml: rule 'r': polygon needs at least 3")]
    [InlineData("kind: geofence\n    trigger: exit\n    polygon: [[1, 2], [3, 4], [5]]", "rules/acme.yaml: rule 'r': polygon[2] must be [latitude, longitude]")]
    [InlineData("kind: fuelDrop\n    dropPercent: 150\n    withinMinutes: 2", "rules/acme.yaml: rule 'r': dropPercent must be a percentage 0 < p < 100")]
    [InlineData("kind: fuelDrop\n    dropPercent: 10\n    withinMinutes: 0", "rules/acme.yaml: rule 'r': withinMinutes must be > 0")]
    [InlineData("kind: rateOfChange\n    risePerMinute: 0", "rules/acme.yaml: rule 'r': risePerMinute must be > 0")]
    [InlineData("kind: rateOfChange\n    risePerMinute: 1\n    clearRisePerMinute: 2", "rules/acme.yaml: rule 'r': clearRisePerMinute must be at or below risePerMinute (1)")]
    [InlineData("kind: silent\n    silentMinutes: 0", "rules/acme.yaml: rule 'r': silentMinutes must be > 0")]
    [InlineData("kind: silent\n    silentMinutes: 5\n    tags: ['bad tag']", "rules/acme.yaml: rule 'r': tags 'bad tag' must be 1..64 characters")]
    [InlineData("kind: telepathy", "rules/acme.yaml: rule 'r': kind must be one of threshold, range, overSpeed, geofence, fuelDrop, rateOfChange, silent, was 'telepathy'")]
    [InlineData("kind: silent\n    silentMinuts: 5", "rules/acme.yaml: line 4, column 5: unknown field 'silentMinuts'")]
    public void Parse_InvalidRule_ErrorNamesFileRuleAndField(string body, string expected)
    {
        var errors = new List<string>();

        var rules = RuleFileReader.Parse($"rules:\n  - id: r\n    {body}\n", json: false, "rules/acme.yaml", errors);

        Assert.Null(rules);
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_FileLevelProblems_NameTheFile()
    {
        var errors = new List<string>();
        Assert.Null(RuleFileReader.Parse("rules:\n  - id: a\n    kind: silent\n    silentMinutes: 1\n  - id: a\n    kind: silent\n    silentMinutes: 2\n", json: false, "rules/acme.yaml", errors));
        Assert.Contains("rules/acme.yaml: rule 'a': id is used by another rule of this file", errors);

        errors.Clear();
        Assert.Null(RuleFileReader.Parse("devices: {}\n", json: false, "rules/acme.yaml", errors));
        Assert.Contains("rules/acme.yaml: has no 'rules:' list", errors);

        errors.Clear();
        Assert.Null(RuleFileReader.Parse("rules: []\n", json: false, "rules/Not_A_Tenant.yaml", errors));
        Assert.Contains(errors, e => e.StartsWith("rules/Not_A_Tenant.yaml: the file name must be a tenant id", StringComparison.Ordinal));

        errors.Clear();
        Assert.Null(RuleFileReader.Parse("""{ "rules": [ { "id": "a", "kind": "silent", "silentMinutes": 1, "typo": 2 } ] }""", json: true, "rules/acme.json", errors));
        Assert.Contains(errors, e => e.StartsWith("rules/acme.json: line 1", StringComparison.Ordinal) && e.Contains("unknown field 'typo' at $.rules[0].typo", StringComparison.Ordinal));
    }

    [Fact]
    public void RulesCheck_ValidFolder_ExitsZeroAndCountsRules()
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        int exit = RulesCommand.Run(["check", ExampleFolder()], output, errors);

        Assert.Equal(0, exit);
        Assert.Contains("acme.yaml: 9 rule(s) for tenant acme", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(errors.ToString());
    }

    [Fact]
    public void RulesCheck_InvalidFile_ExitsOneWithEveryError()
    {
        File.WriteAllText(Path.Combine(_folder, "acme.yaml"), "rules:\n  - id: reefer-warm\n    kind: threshold\n    above: 8\n    durationMinutes: -5\n  - id: quiet\n    kind: silent\n");
        File.WriteAllText(Path.Combine(_folder, "globex.json"), """{ "rules": [ { "id": "ok", "kind": "silent", "silentMinutes": 10 } ] }""");
        var output = new StringWriter();
        var errors = new StringWriter();

        int exit = RulesCommand.Run(["check", _folder], output, errors);

        Assert.Equal(1, exit);
        string text = errors.ToString();
        Assert.Contains($"{Path.Combine(_folder, "acme.yaml")}: rule 'reefer-warm': durationMinutes must be >= 0", text, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_folder, "acme.yaml")}: rule 'quiet': silentMinutes is required", text, StringComparison.Ordinal);
        Assert.Contains("globex.json: 1 rule(s) for tenant globex", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RulesCheck_TwoFilesForOneTenant_ExitsOne()
    {
        File.WriteAllText(Path.Combine(_folder, "acme.json"), """{ "rules": [] }""");
        File.WriteAllText(Path.Combine(_folder, "acme.yaml"), "rules: []\n");
        var errors = new StringWriter();

        Assert.Equal(1, RulesCommand.Run(["check", _folder], new StringWriter(), errors));
        Assert.Contains("tenant 'acme' already has the rule file", errors.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("check")]
    [InlineData("verify x")]
    [InlineData("check /no/such/folder")]
    public void RulesCheck_BadUsage_ExitsTwo(string args) =>
        Assert.Equal(2, RulesCommand.Run(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), new StringWriter(), new StringWriter()));

    /// <summary>The repository's <c>rules/</c> folder, found above the test's output folder.</summary>
    internal static string ExampleFolder() => Repository.PathOf("rules");
}
