using System.Diagnostics;

namespace Convoy.TestKit;

/// <summary>
/// Prometheus' own linter (<c>promtool check metrics</c>, Debian package <c>prometheus</c>) over a
/// program's /metrics text, so the exported names follow Prometheus' conventions. A test takes its
/// cases from <see cref="WhereInstalled"/>: without promtool it does not exist, unless
/// <see cref="RequireVariable"/>=1 (CI), which turns a missing promtool into a failure.
/// </summary>
public static class Promtool
{
    public const string RequireVariable = "CONVOY_REQUIRE_PROMTOOL";

    /// <summary>One case, the promtool to run, where it is installed or required.</summary>
    public static IEnumerable<object[]> WhereInstalled
    {
        get
        {
            if (Find() is { } path)
            {
                yield return [path];
            }
            else if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            {
                yield return ["promtool (not installed)"];
            }
        }
    }

    /// <summary>Lints <paramref name="exposition"/>; the problems promtool found, one per line, or empty when none.</summary>
    public static Task<string> CheckMetricsAsync(string promtool, string exposition) =>
        RunAsync(promtool, Directory.GetCurrentDirectory(), input: exposition, ["check", "metrics"]);

    /// <summary>Runs promtool with <paramref name="arguments"/> in <paramref name="folder"/>; what it reported when it failed, else empty.</summary>
    public static Task<string> RunAsync(string promtool, string folder, params string[] arguments) => RunAsync(promtool, folder, null, arguments);

    private static async Task<string> RunAsync(string promtool, string folder, string? input, string[] arguments)
    {
        if (!File.Exists(promtool))
        {
            throw new InvalidOperationException($"promtool is not installed, and {RequireVariable}=1 requires it: apt-get install prometheus");
        }

        using var process = Process.Start(new ProcessStartInfo(promtool, arguments)
        {
            WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync();
        string said = (await output + await errors).Trim();
        // check metrics prints nothing when clean; check/test rules print SUCCESS lines: only a failure's words matter.
        return process.ExitCode == 0 ? (input is null ? string.Empty : said) : said.Length > 0 ? said : $"promtool exited with {process.ExitCode}";
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(static d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
}
