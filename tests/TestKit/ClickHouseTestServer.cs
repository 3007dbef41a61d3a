using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace Convoy.TestKit;

/// <summary>
/// A private ClickHouse server for the read side's store tests: Debian's <c>clickhouse-server</c>
/// (18.16 on bookworm, the version whose SQL the store keeps to) as a separate process, listening
/// over HTTP on 127.0.0.1 and a free port only, with its own data, temporary, log and user-files
/// folders and its own generated configuration in a <see cref="TempFolder"/>. Each fixture is its own
/// server, so tests may run several at once. It can be stopped (cleanly or by a kill, as in a crash)
/// and started again on the same port and data. Disposing kills it and deletes the folder.
/// <para>
/// There is no in-process stand-in (as MQTTnet is for Mosquitto): a test that needs ClickHouse takes
/// its cases from <see cref="WhereInstalled"/>, so on a machine without it the test does not exist.
/// CI installs it and sets <see cref="RequireClickHouseVariable"/>=1, which turns a missing
/// ClickHouse into a failure, so those tests run in every CI run.
/// </para>
/// </summary>
public sealed class ClickHouseTestServer : IAsyncDisposable
{
    /// <summary>Set to 1 to fail, not leave out, the tests that need ClickHouse when it is not installed.</summary>
    public const string RequireClickHouseVariable = "CONVOY_REQUIRE_CLICKHOUSE";

    // Folders are named convoy-clickhouse-<guid> (TempFolder), which is how a later run finds those
    // of a test process that was killed.
    private const string FolderPurpose = "clickhouse";
    private const string OwnerFile = "owner";
    private const string PidFile = "server.pid";
    private const int PortAttempts = 3;
    private const int SigTerm = 15;

    // Generous: two cores shared by parallel test assemblies. A clean start takes about a second.
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    // The servers of this process, killed when it exits without disposing them.
    private static readonly ConcurrentDictionary<ClickHouseTestServer, byte> Running = new();
    private static int s_abandonedRemoved;

    private readonly ClickHouseCommand _command;
    private readonly TempFolder _folder = new(FolderPurpose);
    private readonly string _name;
    private readonly Queue<string> _output = new();
    private Process? _process;

    static ClickHouseTestServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var server in Running.Keys)
        {
            server.KillAtExit();
        }
    };

    private ClickHouseTestServer(ClickHouseCommand command)
    {
        _command = command;
        _name = Path.GetFileName(_folder.Path);
        File.WriteAllText(_folder.File(OwnerFile), ProcessIdentity(Environment.ProcessId));
        foreach (string folder in new[] { "data", "tmp", "user_files", "log" })
        {
            Directory.CreateDirectory(_folder.File(folder));
        }
    }

    /// <summary>Whether a ClickHouse server executable is installed.</summary>
    public static bool IsInstalled => ClickHouseCommand.Find() is not null;

    /// <summary>True when <see cref="RequireClickHouseVariable"/> is 1 (CI): a missing ClickHouse fails the tests that need it.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireClickHouseVariable) == "1";

    /// <summary>
    /// Theory data for a test that needs ClickHouse: one case, the server command it will run, where
    /// ClickHouse is installed; one that fails on start where it is required but missing; none
    /// elsewhere. Use it with <c>DisableDiscoveryEnumeration = true</c>: xunit 2 reports a theory
    /// whose data it enumerated at discovery and found empty as a failure ("No data found"), while
    /// one it enumerates at run time and finds empty gives no result at all, neither passed nor
    /// skipped.
    /// </summary>
    public static IEnumerable<object[]> WhereInstalled
    {
        get
        {
            if (ClickHouseCommand.Find() is { } command)
            {
                yield return [command.ToString()];
            }
            else if (Required)
            {
                yield return ["clickhouse-server (not installed)"];
            }
        }
    }

    /// <summary>The command that runs the server, as <see cref="WhereInstalled"/> names it.</summary>
    public string Command => _command.ToString();

    public int HttpPort { get; private set; }

    /// <summary>ClickHouse's HTTP interface: <c>POST /</c> with a statement, <c>GET /ping</c>.</summary>
    public Uri HttpEndpoint => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>Whether the server process is running (between a start and a stop).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server printed on its standard output and error (its last lines), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    internal string Folder => _folder.Path;

    internal int? ProcessId => _process?.Id;

    private string LogFile => _folder.File("log/clickhouse-server.log");

    /// <summary>A new server, started and answering queries (a failure if ClickHouse is not installed).</summary>
    public static Task<ClickHouseTestServer> StartAsync() => StartAsync(ClickHouseCommand.Find(), Required);

    internal static async Task<ClickHouseTestServer> StartAsync(ClickHouseCommand? command, bool required)
    {
        if (command is null)
        {
            Assert.Fail(required
                ? $"{RequireClickHouseVariable}=1 but clickhouse-server is not installed: run `apt-get install -y clickhouse-server` (.ci/run does)."
                : "clickhouse-server is not installed: a test that needs it takes its cases from ClickHouseTestServer.WhereInstalled, "
                    + "so that it does not exist where ClickHouse is missing; to run it, `apt-get install -y clickhouse-server`.");
        }

        if (Interlocked.Exchange(ref s_abandonedRemoved, 1) == 0)
        {
            RemoveAbandonedServers();
        }

        var server = new ClickHouseTestServer(command);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                server.HttpPort = LoopbackPorts.Free();
                server.WriteConfiguration();
                string? failure = await server.LaunchAsync();
                if (failure is null)
                {
                    return server;
                }

                // Another process took the free port between our look and the server's bind: pick another.
                if (attempt < PortAttempts && failure.Contains("Address already in use", StringComparison.Ordinal))
                {
                    await server.EndAsync(graceful: false);
                    server.ForgetLogs();
                    continue;
                }

                Assert.Fail(failure);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the server cleanly (SIGTERM: it finishes what it is writing), killing it if it has not
    /// exited after 30 s. The data stays for <see cref="StartAgainAsync"/>.
    /// </summary>
    public Task StopAsync() => EndAsync(graceful: true);

    /// <summary>Kills the server (SIGKILL, with anything it started), as a crash or a power cut would. The data stays.</summary>
    public Task KillAsync() => EndAsync(graceful: false);

    /// <summary>Starts the stopped server again on the same port and data, and waits until it answers queries.</summary>
    public async Task StartAgainAsync()
    {
        Assert.True(_process is null, "the ClickHouse server is running: stop or kill it before starting it again (or use RestartAsync).");
        string? failure = await LaunchAsync();
        Assert.True(failure is null, failure);
    }

    /// <summary>Stops the server (cleanly, or by a kill) and starts it again on the same port and data.</summary>
    public async Task RestartAsync(bool kill = false)
    {
        await EndAsync(graceful: !kill);
        await StartAgainAsync();
    }

    /// <summary>The last lines of the server's own log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            string[] all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join(Environment.NewLine, all[Math.Max(0, all.Length - lines)..]);
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The data goes with the folder, so there is nothing to shut down cleanly for.
        await EndAsync(graceful: false);
        _folder.Dispose();
    }

    /// <summary>
    /// Kills the servers, and deletes the folders, that a test process left when it was killed before
    /// it could dispose them: each folder names its owner (process id and start time, so a reused id
    /// is not taken for it) and its server's process id. Servers of live test processes, which may
    /// be running tests beside this one, are left alone.
    /// </summary>
    internal static void RemoveAbandonedServers()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), $"convoy-{FolderPurpose}-*"))
        {
            string? owner = ReadOrNull(Path.Combine(folder, OwnerFile));
            if (owner is null || OwnerIsAlive(owner))
            {
                // No owner yet: a fixture being created this moment.
                continue;
            }

            if (int.TryParse(ReadOrNull(Path.Combine(folder, PidFile)), CultureInfo.InvariantCulture, out int pid) && IsServerOf(pid, folder))
            {
                KillAbandoned(pid);
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another test process removing the same folder, or a file still held for a moment: harmless.
            }
        }
    }

    private async Task<string?> LaunchAsync()
    {
        var start = new ProcessStartInfo(_command.Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _folder.Path,
        };
        if (_command.Subcommand is { } subcommand)
        {
            start.ArgumentList.Add(subcommand);
        }

        start.ArgumentList.Add($"--config-file={_folder.File("config.xml")}");
        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        Running[this] = 0;
        File.WriteAllText(_folder.File(PidFile), process.Id.ToString(CultureInfo.InvariantCulture));
        return await WaitUntilReadyAsync(process);
    }

    /// <summary>Null once the server answers queries; otherwise why it does not, with its output and log.</summary>
    private async Task<string?> WaitUntilReadyAsync(Process process)
    {
        using var http = new HttpClient { BaseAddress = HttpEndpoint, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // and for the last lines it printed
                return Failure($"clickhouse-server exited with code {process.ExitCode} before it answered GET {HttpEndpoint}ping");
            }

            if (await AnswersAsync(http))
            {
                return null;
            }

            if (waited.Elapsed > ReadyTimeout)
            {
                return Failure($"clickhouse-server did not answer GET {HttpEndpoint}ping with Ok. within {ReadyTimeout.TotalSeconds} s");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// True when /ping answers Ok. and a query is answered by this server, not by another test's server
    /// that took the port before ours could (it would then be failing to bind): each fixture's server
    /// has its own display name, which ClickHouse sends with every query's answer.
    /// </summary>
    private async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using var ping = await http.GetAsync(new Uri("ping", UriKind.Relative));
            if (!ping.IsSuccessStatusCode || (await ping.Content.ReadAsStringAsync()).Trim() != "Ok.")
            {
                return false;
            }

            using var probe = await http.GetAsync(new Uri("?query=SELECT%201", UriKind.Relative));
            return probe.IsSuccessStatusCode
                && probe.Headers.TryGetValues("X-ClickHouse-Server-Display-Name", out var names)
                && names.Contains(_name);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task EndAsync(bool graceful)
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            if (graceful && SendSignal(process.Id, SigTerm) == 0)
            {
                using var patience = new CancellationTokenSource(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(patience.Token);
                }
                catch (OperationCanceledException)
                {
                    Append($"(did not stop within {StopTimeout.TotalSeconds} s of SIGTERM: killed)");
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await process.WaitForExitAsync();
        process.Dispose();
        Running.TryRemove(this, out _);
        if (Directory.Exists(_folder.Path))
        {
            // (Gone when another run took this server for an abandoned one and removed it.)
            File.Delete(_folder.File(PidFile));
        }
    }

    private void KillAtExit()
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
            _process?.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        _folder.Dispose();
    }

    private void WriteConfiguration()
    {
        // ClickHouse appends file names to these folders: they must end with '/'.
        string Under(string folder) => _folder.File(folder) + "/";

        new XDocument(new XElement("yandex",
            new XElement("logger",
                new XElement("level", "information"),
                new XElement("log", LogFile),
                new XElement("errorlog", _folder.File("log/clickhouse-server.err.log")),
                new XElement("size", "10M"),
                new XElement("count", 1)),
            new XElement("display_name", _name),
            // HTTP on loopback only. No tcp_port (the native protocol), interserver_http_port (replication)
            // or mysql_port: a port is opened only when configured, and the store speaks HTTP.
            new XElement("listen_host", "127.0.0.1"),
            new XElement("http_port", HttpPort),
            new XElement("path", Under("data")),
            new XElement("tmp_path", Under("tmp")),
            new XElement("user_files_path", Under("user_files")),
            new XElement("users_config", _folder.File("users.xml")),
            new XElement("default_profile", "default"),
            new XElement("default_database", "default"),
            // Date and time functions without a time zone argument use the server's: fixed, not the machine's.
            new XElement("timezone", "UTC"),
            // Caches are allocated on demand up to these sizes (the package's defaults are 5 and 8 GiB):
            // several servers run at once on a small machine. No query_log or part_log section, so no
            // system log tables are written.
            new XElement("mark_cache_size", 128 << 20),
            new XElement("uncompressed_cache_size", 64 << 20),
            new XElement("mlock_executable", "false"))).Save(_folder.File("config.xml"));

        new XDocument(new XElement("yandex",
            new XElement("profiles",
                new XElement("default",
                    // Per query; the machine has two cores. The background pool merges parts and runs mutations.
                    new XElement("max_memory_usage", 1_000_000_000),
                    new XElement("max_threads", 2),
                    new XElement("background_pool_size", 4),
                    new XElement("log_queries", 0))),
            new XElement("users",
                new XElement("default",
                    new XElement("password", string.Empty),
                    new XElement("networks", new XElement("ip", "127.0.0.1")),
                    new XElement("profile", "default"),
                    new XElement("quota", "default"))),
            new XElement("quotas",
                new XElement("default",
                    new XElement("interval",
                        new XElement("duration", 3600),
                        new XElement("queries", 0),
                        new XElement("errors", 0),
                        new XElement("result_rows", 0),
                        new XElement("read_rows", 0),
                        new XElement("execution_time", 0)))))).Save(_folder.File("users.xml"));
    }

    /// <summary>Before a start on new ports: so that a failure's log tail is this attempt's.</summary>
    private void ForgetLogs()
    {
        foreach (string file in Directory.EnumerateFiles(_folder.File("log")))
        {
            File.Delete(file);
        }

        lock (_output)
        {
            _output.Clear();
        }
    }

    private string Failure(string what) =>
        $"{what}.{Environment.NewLine}Its output:{Environment.NewLine}{Output}{Environment.NewLine}"
        + $"The tail of its log:{Environment.NewLine}{LogTail()}";

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 200)
            {
                _output.Dequeue();
            }
        }
    }

    /// <summary>"pid starttime" (field 22 of /proc/pid/stat, in clock ticks since boot), or null when there is no such process.</summary>
    private static string? ProcessIdentity(int pid)
    {
        // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
        string? stat = ReadOrNull($"/proc/{pid}/stat");
        return stat is null ? null : $"{pid} {stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]}";
    }

    private static bool OwnerIsAlive(string owner) =>
        int.TryParse(owner.Split(' ')[0], CultureInfo.InvariantCulture, out int pid) && ProcessIdentity(pid) == owner;

    /// <summary>Whether that process is still the server started from this folder (ids are reused).</summary>
    private static bool IsServerOf(int pid, string folder) =>
        ReadOrNull($"/proc/{pid}/cmdline")?.Contains(Path.Combine(folder, "config.xml"), StringComparison.Ordinal) == true;

    private static void KillAbandoned(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}

/// <summary>How to run the server: Debian's <c>clickhouse-server</c>, or <c>clickhouse server</c>.</summary>
internal sealed record ClickHouseCommand(string Executable, string? Subcommand)
{
    private static readonly string[] ServerCandidates = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"];
    private static readonly string[] CombinedCandidates = ["/usr/bin/clickhouse"];

    public static ClickHouseCommand? Find()
    {
        // Debian's package ships /usr/sbin/clickhouse-server (not on a normal user's PATH); ClickHouse's
        // own packages ship one /usr/bin/clickhouse that runs the server as `clickhouse server`.
        if (InstalledPrograms.Find("clickhouse-server", ServerCandidates) is { } server)
        {
            return new ClickHouseCommand(server, null);
        }

        return InstalledPrograms.Find("clickhouse", CombinedCandidates) is { } combined ? new ClickHouseCommand(combined, "server") : null;
    }

    public override string ToString() => Subcommand is null ? Executable : $"{Executable} {Subcommand}";
}
