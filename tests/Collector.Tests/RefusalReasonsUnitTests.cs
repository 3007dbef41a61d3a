using System.Reflection;
using System.Text.RegularExpressions;

namespace Convoy.Collector.Tests;

/// <summary>
/// One list of refusal reasons (src/Collector/RefusalReasons.cs): every reason the code names is in
/// it, the token verifier's too, and docs/status-codes.md lists exactly these, with their statuses.
/// </summary>
public sealed partial class RefusalReasonsUnitTests
{
    [Fact]
    public void EveryNamedReason_IsInTheBatchOrTheAccessList()
    {
        var named = typeof(RefusalReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(static f => f.IsLiteral).Select(static f => (string)f.GetRawConstantValue()!);
        var listed = RefusalReasons.Batch.Select(static b => b.Reason).Concat(RefusalReasons.Access).ToHashSet(StringComparer.Ordinal);

        Assert.All(named, reason => Assert.Contains(reason, listed));
        Assert.Equal(RefusalReasons.Batch.Count, RefusalReasons.Batch.Select(static b => b.Reason).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(RefusalReasons.Access.Count, RefusalReasons.Access.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void TheTokenVerifiersReasons_AreInTheAccessList()
    {
        string source = string.Concat(Directory.GetFiles(Repository.PathOf("src", "Tokens"), "*.cs").Select(File.ReadAllText));
        var reasons = TokenReason().Matches(source).Select(static m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.Contains(reason, RefusalReasons.Access));
    }

    [Fact]
    public void StatusCodesPage_ListsExactlyTheReasonsOfTheCode_WithTheirStatuses()
    {
        string page = File.ReadAllText(Repository.PathOf("docs", "status-codes.md"));
        string batch = Section(page, "### Batch refusal reasons"), access = Section(page, "### Access refusal reasons");

        Assert.Equal(RefusalReasons.Batch.Select(static b => b.Reason).Order(StringComparer.Ordinal), Reasons(batch).Order(StringComparer.Ordinal));
        Assert.Equal(RefusalReasons.Access.Order(StringComparer.Ordinal), Reasons(access).Order(StringComparer.Ordinal));
        // Each status group on the page ends with its status, as the code refuses with it.
        foreach (var (reason, status) in RefusalReasons.Batch)
        {
            string after = batch[(batch.IndexOf($"`{reason}`", StringComparison.Ordinal) + reason.Length)..];
            string statusName = StatusName().Replace(status.ToString(), "$1_$2").ToUpperInvariant();
            Assert.StartsWith(statusName, after[(after.IndexOf('(', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal);
        }
    }

    private static string Section(string page, string heading)
    {
        string rest = page[(page.IndexOf(heading, StringComparison.Ordinal) + heading.Length)..];
        int next = rest.IndexOf("\n#", StringComparison.Ordinal);
        return next < 0 ? rest : rest[..next];
    }

    /// <summary>The `reason` words of a section (not the metric's name, which has braces).</summary>
    private static IEnumerable<string> Reasons(string section) =>
        ReasonWord().Matches(section).Select(static m => m.Groups[1].Value).Distinct(StringComparer.Ordinal);

    [GeneratedRegex("`([a-z]+(?:-[a-z]+)*)`")]
    private static partial Regex ReasonWord();

    [GeneratedRegex("\"(tokens?-[a-z-]+)\"")]
    private static partial Regex TokenReason();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex StatusName();
}
