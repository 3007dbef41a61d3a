using System.Diagnostics;

namespace Convoy.TestKit;

/// <summary>The agent as a child process, its output kept (the last lines) for a failure message.</summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Queue<string> _lines = new();

    public AgentProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>The agent's own build output with <paramref name="arguments"/>, as in production (DOTNET_ENVIRONMENT=Production).</summary>
    public static AgentProcess Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The agent's own build output (the test folder lacks the agent's framework dependencies).
        start.ArgumentList.Add(Path.Combine(Repository.Root, "src", "EdgeAgent", "bin", Repository.Configuration, "net10.0", "Convoy.EdgeAgent.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new AgentProcess(Process.Start(start)!);
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
