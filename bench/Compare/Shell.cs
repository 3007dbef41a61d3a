using System.Diagnostics;

namespace Convoy.BenchCompare;

internal sealed class ShellException(string message) : Exception(message);

internal static class Shell
{
    /// <summary>Runs a program in a folder and returns its output; throws with the output's tail when it fails.</summary>
    public static string Run(string program, string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string tail = string.Join('\n', (output + errors.Result).Split('\n').TakeLast(40));
            throw new ShellException($"{program} {string.Join(' ', arguments)} (in {folder}) failed with exit code {process.ExitCode}:\n{tail}");
        }

        return output;
    }

    public static void TryRun(string program, string folder, params string[] arguments)
    {
        try
        {
            Run(program, folder, arguments);
        }
        catch (ShellException)
        {
            // Best effort.
        }
    }
}
