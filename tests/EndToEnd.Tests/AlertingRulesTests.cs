namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The Prometheus alerting rules an operator loads (deploy/prometheus/convoy-alerts.yml) are valid
/// (<c>promtool check rules</c>), fire and stay quiet as their unit tests say
/// (<c>promtool test rules</c>), and each has its runbook entry. That they use only metrics the
/// programs export is checked where the programs run (MetricsNamingTests).
/// </summary>
public sealed class AlertingRulesTests
{
    private static readonly string Folder = Repository.PathOf("deploy", "prometheus");

    public static IEnumerable<object[]> Promtools => Promtool.WhereInstalled;

    [Theory]
    [MemberData(nameof(Promtools), DisableDiscoveryEnumeration = true)]
    public async Task Rules_AreValid_AndPassTheirUnitTests(string promtool)
    {
        Assert.Equal("", await Promtool.RunAsync(promtool, Folder, "check", "rules", "convoy-alerts.yml"));
        Assert.Equal("", await Promtool.RunAsync(promtool, Folder, "test", "rules", "convoy-alerts.test.yml"));
    }

    [Fact]
    public void EveryAlert_HasItsRunbookEntry()
    {
        string rules = File.ReadAllText(Path.Combine(Folder, "convoy-alerts.yml"));
        string runbook = File.ReadAllText(Repository.PathOf("docs", "runbook.md"));
        var alerts = System.Text.RegularExpressions.Regex.Matches(rules, @"- alert: (\w+)").Select(static m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(alerts);
        Assert.All(alerts, alert =>
        {
            Assert.Contains($"## {alert}\n", runbook, StringComparison.Ordinal);
            Assert.Contains($"runbook: docs/runbook.md#{alert.ToLowerInvariant()}", rules, StringComparison.Ordinal);
        });
    }
}
