using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Rules.Files;
using Convoy.Kafka;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Tests;

/// <summary>The rules folder on disk: loaded at start, followed for changes without a restart, last good rules kept per tenant.</summary>
public sealed class RuleFolderTests : IDisposable
{
    private const string Warm = "rules:\n  - id: reefer-warm\n    kind: threshold\n    above: 8\n";
    private readonly string _folder = Directory.CreateTempSubdirectory("convoy-rules-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogger<RuleFolder> _logger = new();

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Watch_FileChangedAddedAndRemoved_AppliesWithoutRestart()
    {
        Write("acme.yaml", Warm);
        var catalog = Catalog();
        using var folder = Folder(catalog);
        await folder.StartAsync(CancellationToken.None);
        var first = catalog.For("acme");
        Assert.Equal(1, first.Count);

        Write("acme.yaml", Warm + "  - id: quiet\n    kind: silent\n    silentMinutes: 30\n");
        Write("globex.json", """{ "rules": [ { "id": "fast", "kind": "overSpeed", "aboveKmh": 100 } ] }""");

        await Eventually(() => catalog.For("acme").Count == 2 && catalog.For("globex").Count == 1);
        Assert.Single(catalog.For("acme").For("truck-1").Silent);

        File.Delete(Path.Combine(_folder, "globex.json"));
        await Eventually(() => ReferenceEquals(catalog.For("globex"), catalog.Defaults));
        await folder.StopAsync(CancellationToken.None);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Id.Name == "RulesRemoved");
    }

    [Fact]
    public async Task Watch_FileBecomesInvalid_KeepsThePreviousRulesAndLogsTheError()
    {
        Write("acme.yaml", Warm);
        var catalog = Catalog();
        using var folder = Folder(catalog);
        await folder.StartAsync(CancellationToken.None);
        var good = catalog.For("acme");

        Write("acme.yaml", Warm + "  - id: broken\n    kind: silent\n    silentMinutes: -3\n");

        await Eventually(() => _logger.Collector.GetSnapshot().Any(r => r.Id.Name == "RulesRejected"));
        var rejected = _logger.Collector.GetSnapshot().First(r => r.Id.Name == "RulesRejected");
        Assert.Contains("acme.yaml: rule 'broken': silentMinutes must be > 0", rejected.Message, StringComparison.Ordinal);
        Assert.Same(good, catalog.For("acme"));
        // The catalog keeps why, for the read side's GetRules; other tenants have no errors.
        Assert.Contains(catalog.Errors("acme"), e => e.EndsWith("acme.yaml: rule 'broken': silentMinutes must be > 0 and at most a week (10080), was -3", StringComparison.Ordinal));
        Assert.Empty(catalog.Errors("globex"));

        // Fixed again: applied, and its errors are gone.
        Write("acme.yaml", Warm.Replace("above: 8", "above: 9", StringComparison.Ordinal) + "  - id: fixed\n    kind: silent\n    silentMinutes: 3\n");
        await Eventually(() => catalog.For("acme").Count == 2);
        Assert.Empty(catalog.Errors("acme"));
        await folder.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Start_InvalidFile_IsAConfigurationErrorNamingTheFileRuleAndField()
    {
        Write("acme.yaml", "rules:\n  - id: reefer-warm\n    kind: threshold\n    above: 8\n    durationMinutes: -1\n");

        var error = Assert.Throws<OptionsValidationException>(() => Folder(Catalog()));

        Assert.Contains("'AlertEngine:RulesFolder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("acme.yaml: rule 'reefer-warm': durationMinutes must be >= 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_EachRuleOfTheExampleFile_SaysWhatItWatchesInOneSentence()
    {
        File.Copy(Repository.PathOf("rules", "acme.yaml"), Path.Combine(_folder, "acme.yaml"));
        var catalog = Catalog();
        using var folder = Folder(catalog);

        var described = catalog.For("acme").Rules.ToDictionary(r => r.Rule.Id, r => r.Rule.Description);

        Assert.Equal(new RuleDescription("level", "reefer.temperature_c", 1, 8, null, "zone 1 above 8 degC for 5 min; resolves at or below 7.5 degC for 2 min"),
            described["reefer-warm"]);
        Assert.Equal(new RuleDescription("level", "humidity_percent", 0, 95, 60, "humidity outside 60..95 percent for 10 min; resolves inside 62..93 percent"),
            described["cargo-humidity"]);
        Assert.Equal("speed above 90 km/h for 1 min; resolves at or below 85 km/h for 1 min", described["over-speed"].Sentence);
        Assert.Equal("enters the circle of 800 m around 51.95, 4.14; resolves on leaving", described["depot-rotterdam"].Sentence);
        Assert.Equal((true, 51.95, 800.0), (described["depot-rotterdam"].Fence!.AlertInside, described["depot-rotterdam"].Fence!.CentreLatitudeDeg, described["depot-rotterdam"].Fence!.RadiusM));
        Assert.Equal("leaves the area of 4 vertices; resolves on coming back", described["eu-only"].Sentence);
        Assert.Equal("enters the area of 4 vertices and stays inside for 45 min; resolves on leaving", described["customer-dwell"].Sentence);
        Assert.Equal("fuel level falls more than 10 percent within 2 min while below 1 km/h; resolves when the truck moves", described["fuel-theft"].Sentence);
        Assert.Equal(("rate", 0.5), (described["reefer-rising"].Kind, described["reefer-rising"].Above!.Value));
        Assert.Equal("any reefer zone rises faster than 0.5 degC per minute; resolves at 0.25 degC per minute or slower for 5 min", described["reefer-rising"].Sentence);
        Assert.Equal(("silent", "no data for 30 min; resolves when data comes again"), (described["gone-silent"].Kind, described["gone-silent"].Sentence));
        Assert.Equal(
            "any reefer zone above 8 degC for 5 min; resolves at or below 7.5 degC for 2 min",
            Assert.Single(TenantRules.FromOptions(new AlertEngineOptions { TemperatureRules = { new TemperatureRuleOptions() } }).Rules).Rule.Description.Sentence);
    }

    [Fact]
    public void Validate_MissingRulesFolderOrBadLateness_NamesTheKey()
    {
        var options = new AlertEngineOptions { RulesFolder = Path.Combine(_folder, "nope") };
        Assert.Contains("'AlertEngine:RulesFolder'", Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options)).Message, StringComparison.Ordinal);

        options = new AlertEngineOptions { AllowedLatenessSeconds = -1 };
        Assert.Contains("'AlertEngine:AllowedLatenessSeconds'", Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rescan_AnUnchangedInvalidFile_IsNeitherLoggedNorCountedAgain_ButKeepsItsErrors()
    {
        Write("acme.yaml", Warm + "  - id: broken\n    kind: silent\n    silentMinutes: -3\n");
        var catalog = Catalog();
        using var rejections = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), AlertEngineMetrics.MeterName, "convoy.alertengine.rules.reloads");
        using var folder = new RuleFolder(catalog, _folder, "AlertEngine:RulesFolder", refuseInvalidAtStart: false,
            new AlertEngineMetrics(_services.GetRequiredService<IMeterFactory>(), new ConsumerLag(), catalog), _logger, TimeProvider.System);
        Assert.Equal(1, _logger.Collector.GetSnapshot().Count(r => r.Id.Name == "RulesRejected"));

        // Reads of the folder that find the same broken file again (another file of the folder changed, say).
        folder.Reload([]);
        folder.Reload([]);

        Assert.Equal(1, _logger.Collector.GetSnapshot().Count(r => r.Id.Name == "RulesRejected"));
        Assert.Single(rejections.GetMeasurementSnapshot());
        Assert.NotEmpty(catalog.Errors("acme"));

        // Changed, still broken: that is news, logged and counted.
        Write("acme.yaml", Warm + "  - id: broken\n    kind: silent\n    silentMinutes: -4\n");
        folder.Reload([]);
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Id.Name == "RulesRejected"));
        Assert.Equal(2, rejections.GetMeasurementSnapshot().Count);
        Assert.Contains(catalog.Errors("acme"), e => e.Contains("was -4", StringComparison.Ordinal));
    }

    private void Write(string name, string text)
    {
        // Write then rename, as a deployment would: the watcher never sees half a file.
        string temp = Path.Combine(_folder, "." + name + ".tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, Path.Combine(_folder, name), overwrite: true);
    }

    private static RuleCatalog Catalog() => new(new TenantRules("options", []));

    private RuleFolder Folder(RuleCatalog catalog) =>
        new(catalog, Options.Create(new AlertEngineOptions { RulesFolder = _folder }), new AlertEngineMetrics(_services.GetRequiredService<IMeterFactory>(), new ConsumerLag(), catalog), _logger);

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 20 s");
            await Task.Delay(50);
        }
    }
}
