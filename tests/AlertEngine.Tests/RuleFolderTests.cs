using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Rules.Files;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
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

        // Fixed again: applied.
        Write("acme.yaml", Warm.Replace("above: 8", "above: 9", StringComparison.Ordinal) + "  - id: fixed\n    kind: silent\n    silentMinutes: 3\n");
        await Eventually(() => catalog.For("acme").Count == 2);
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
    public void Validate_MissingRulesFolderOrBadLateness_NamesTheKey()
    {
        var options = new AlertEngineOptions { RulesFolder = Path.Combine(_folder, "nope") };
        Assert.Contains("'AlertEngine:RulesFolder'", Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options)).Message, StringComparison.Ordinal);

        options = new AlertEngineOptions { AllowedLatenessSeconds = -1 };
        Assert.Contains("'AlertEngine:AllowedLatenessSeconds'", Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new AlertEngineOptionsValidator(), options)).Message, StringComparison.Ordinal);
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
        new(catalog, Options.Create(new AlertEngineOptions { RulesFolder = _folder }), new AlertEngineMetrics(_services.GetRequiredService<IMeterFactory>()), _logger);

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
