using System.Diagnostics;

namespace Convoy.TestKit;

/// <summary>One of the programs (the agent, the fleet history) as a child process, its output kept (the last lines) for a failure message.</summary>
public sealed class ProgramProcess : IDisposable
{
    private readonly Queue<string> _lines = new();

    public ProgramProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>The agent's own build output with <paramref name="arguments"/>, as in production (DOTNET_ENVIRONMENT=Production).</summary>
    public static ProgramProcess Agent(IEnumerable<string> arguments) => Start("EdgeAgent", "Convoy.EdgeAgent.dll", arguments);

    /// <summary>The fleet history program's own build output with <paramref name="arguments"/>, as in production.</summary>
    public static ProgramProcess FleetHistory(IEnumerable<string> arguments) => Start("FleetHistory", "Convoy.FleetHistory.dll", arguments);

    /// <summary>
    /// The program of <paramref name="project"/> (a folder of src/, e.g. AlertEngine) from its own build
    /// output, Convoy.&lt;project&gt;.dll, with <paramref name="arguments"/>, as in production.
    /// </summary>
    public static ProgramProcess Of(string project, IEnumerable<string> arguments) => Start(project, $"Convoy.{project}.dll", arguments);

    private static ProgramProcess Start(string project, string assembly, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The program's own build output (the test folder lacks its framework dependencies).
        start.ArgumentList.Add(Path.Combine(Repository.Root, "src", project, "bin", Repository.Configuration, "net10.0", assembly));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new ProgramProcess(Process.Start(start)!);
    }

    /// <summary>
    /// Waits for the program to stop on its bad settings and asserts how it did, as every program
    /// must: exit code 2 and no stack trace or exception name in its output. Returns the output's
    /// lines, for the test to look for its own.
    /// </summary>
    public string[] AssertStoppedOnBadSettings()
    {
        Assert.True(Process.WaitForExit(60_000), "the program did not stop on its bad settings");
        Process.WaitForExit(); // and its output was read to the end
        string output = Output;
        Assert.True(Process.ExitCode == 2, $"exit code {Process.ExitCode}, not 2:\n{output}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, static l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        return lines;
    }

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > 40)
            {
                _lines.Dequeue();
            }
        }
    }

    public void Dispose() => Process.Dispose();
}
