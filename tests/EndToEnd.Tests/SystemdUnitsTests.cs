using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The systemd units in deploy/ (the agent's and the cloud programs'): systemd itself finds nothing
/// wrong in them (<c>systemd-analyze verify</c>, with the program's path stood in for, since it is not
/// installed here), each starts a program of this repository, and every setting a unit gives is one
/// the configuration reference documents.
/// </summary>
public sealed partial class SystemdUnitsTests
{
    private static readonly string Deploy = Repository.PathOf("deploy");

    public static IEnumerable<object[]> Units => Directory.GetFiles(Deploy, "*.service").Order(StringComparer.Ordinal).Select(static f => new object[] { Path.GetFileName(f) });

    /// <summary>Each unit, where systemd-analyze is installed (it is part of systemd).</summary>
    public static IEnumerable<object[]> UnitsWhereSystemdAnalyzeIs => File.Exists("/usr/bin/systemd-analyze") ? Units : [];

    [Theory]
    [MemberData(nameof(UnitsWhereSystemdAnalyzeIs), DisableDiscoveryEnumeration = true)]
    public async Task SystemdAnalyzeVerify_FindsNothing(string unit)
    {
        using var folder = new TempFolder("units");
        // The program is not installed on this machine: /bin/true stands in for it, the rest is as shipped.
        string text = ExecStart().Replace(File.ReadAllText(Path.Combine(Deploy, unit)), "ExecStart=/bin/true");
        string copy = Path.Combine(folder.Path, unit);
        File.WriteAllText(copy, text);

        using var verify = Process.Start(new ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", copy]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string said = await verify.StandardOutput.ReadToEndAsync() + await verify.StandardError.ReadToEndAsync();
        await verify.WaitForExitAsync();

        Assert.True(verify.ExitCode == 0 && said.Trim().Length == 0, $"systemd-analyze verify {unit} (exit {verify.ExitCode}):\n{said}");
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Unit_StartsAProgramOfThisRepository_WithOnlyDocumentedSettings(string unit)
    {
        string text = File.ReadAllText(Path.Combine(Deploy, unit));
        string exec = Assert.Single(text.Split('\n'), static l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var program = Regex.Match(exec, @"Convoy\.(\w+)(\.dll)?\b");
        Assert.True(program.Success, exec);
        Assert.True(Directory.Exists(Repository.PathOf("src", program.Groups[1].Value)), $"{unit} starts {program.Value}, which is no project under src/");

        string reference = string.Concat(Directory.GetFiles(Repository.PathOf("docs", "configuration"), "*.md").Select(File.ReadAllText));
        foreach (Match setting in Setting().Matches(text))
        {
            string key = setting.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal);
            Assert.True(reference.Contains($"`{key}`", StringComparison.Ordinal), $"{unit} sets {key}, which docs/configuration does not document");
        }
    }

    [GeneratedRegex(@"^ExecStart=\S+(\s+\S+\.dll)?", RegexOptions.Multiline)]
    private static partial Regex ExecStart();

    /// <summary>Environment=Section__Key=value, the programs' own settings (not DOTNET_ or Logging__).</summary>
    [GeneratedRegex(@"^Environment=((?:Collector|AlertEngine|FleetHistory|TenantConsole|EdgeAgent|Kafka)__[A-Za-z0-9_]+)=", RegexOptions.Multiline)]
    private static partial Regex Setting();
}
