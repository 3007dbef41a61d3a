using System.Diagnostics;
using System.Globalization;

namespace Convoy.AlertEngine.Load;

/// <summary>The alert engine under test in its own process, so its CPU time is its own.</summary>
internal sealed class EngineProcess : IDisposable
{
    private readonly Process _process;

    private EngineProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static EngineProcess Start(string repository, string bootstrapServers, string rulesFolder, string groupId, IReadOnlyList<string> extra)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string dll = Path.Combine(repository, "src", "AlertEngine", "bin", configuration, "net10.0", "Convoy.AlertEngine.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is not built; run with dotnet run -c {configuration} --project bench/AlertEngine.Load", dll);
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add($"--Kafka:BootstrapServers={bootstrapServers}");
        start.ArgumentList.Add($"--AlertEngine:RulesFolder={rulesFolder}");
        start.ArgumentList.Add($"--AlertEngine:GroupId={groupId}");
        // Every alert is logged at Information (AlertRaised); the console logger would be the load.
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (string argument in extra)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Echo(e.Data);
        process.ErrorDataReceived += (_, e) => Echo(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new EngineProcess(process);
    }

    private static void Echo(string? line)
    {
        if (line is not null)
        {
            Console.Error.WriteLine("[engine] " + line);
        }
    }

    /// <summary>User plus system CPU time the process has used.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// CPU time per thread name (Linux: /proc/PID/task/*/stat, in clock ticks of 10 ms), so a run
    /// shows where the engine spends it: the consume loop (a ".NET Long Running" task thread),
    /// librdkafka's threads (rdk:main, rdk:broker…), the GC, the thread pool. Empty elsewhere.
    /// </summary>
    public Dictionary<string, double> CpuSecondsByThread()
    {
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        string tasks = $"/proc/{_process.Id}/task";
        if (!Directory.Exists(tasks))
        {
            return byName;
        }

        foreach (string task in Directory.EnumerateDirectories(tasks))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended
            }

            int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
            string name = stat[(open + 1)..close];
            // Thread numbers make names unique ("rdk:broker1"); keep the kind.
            name = name.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
            string[] fields = stat[(close + 2)..].Split(' ');
            // After the name: state is field 3 of stat(5); utime and stime are fields 14 and 15.
            double seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
            byName[name] = byName.GetValueOrDefault(name) + seconds;
        }

        return byName;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
