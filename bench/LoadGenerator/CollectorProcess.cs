using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Diagnostics.NETCore.Client;

namespace Convoy.LoadGenerator;

/// <summary>A collector under test in its own process, so its CPU and memory are its own.</summary>
internal sealed partial class CollectorProcess : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new();

    private CollectorProcess(Process process, int port, int metricsPort)
    {
        _process = process;
        Address = new Uri($"https://127.0.0.1:{port}");
        Metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
    }

    public Uri Address { get; }

    public Uri Metrics { get; }

    public int ProcessId => _process.Id;

    public static async Task<CollectorProcess> StartAsync(string name, string repository, string bootstrapServers, string certificates, IReadOnlyDictionary<string, string> environment, string? cpus = null)
    {
        int port = FreePort();
        int metricsPort = FreePort();
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var (dll, arguments) = name == "convoy"
            ? (Path.Combine(repository, "src", "Collector", "bin", configuration, "net10.0", "Convoy.Collector.dll"),
               new[]
               {
                   $"--Collector:Port={port}", $"--Collector:MetricsPort={metricsPort}", "--Collector:DevCertificates=true",
                   $"--Collector:DevCertificatesFolder={certificates}", $"--Kafka:BootstrapServers={bootstrapServers}", "--Kafka:CreateTopics=false",
                   "--Logging:LogLevel:Default=Warning",
               })
            : (Path.Combine(repository, "bench", "ReferenceCollector", "bin", configuration, "net10.0", "Convoy.ReferenceCollector.dll"),
               new[] { port.ToString(CultureInfo.InvariantCulture), metricsPort.ToString(CultureInfo.InvariantCulture), bootstrapServers, certificates });
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is not built; run with dotnet run -c {configuration} --project bench/LoadGenerator", dll);
        }

        // Pinned: taskset starts dotnet on those CPUs, and every thread the collector starts inherits them.
        var start = new ProcessStartInfo(cpus is null ? "dotnet" : "taskset") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        if (cpus is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus);
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (variable, value) in environment)
        {
            start.Environment[variable] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[{name}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var collector = new CollectorProcess(process, port, metricsPort);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await collector.AnswersAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the {name} collector did not start (exit code {(process.HasExited ? process.ExitCode : -1)})");
            }

            await Task.Delay(200);
        }

        return collector;
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

    /// <summary>The process's resident memory now.</summary>
    public long WorkingSetBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>
    /// Has the collector run a full blocking GC now, as dotnet-gcdump does (an EventPipe session
    /// asking for the runtime's GCHeapCollect keyword), and waits until its gen2 count says it ran:
    /// memory sampled after it is what the connections hold, not garbage waiting for a collection.
    /// </summary>
    public async Task CollectGarbageAsync()
    {
        const long GcHeapCollect = 0x800000;
        double gen2 = (await RuntimeAsync()).Gen2;
        var client = new DiagnosticsClient(_process.Id);
        using var session = client.StartEventPipeSession(new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcHeapCollect), requestRundown: false);
        var draining = session.EventStream.CopyToAsync(Stream.Null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await RuntimeAsync()).Gen2 <= gen2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await session.StopAsync(CancellationToken.None);
        await draining;
    }

    /// <summary>Bytes allocated and collections by generation so far, from the runtime instruments on /metrics.</summary>
    public async Task<(double AllocatedBytes, double Gen0, double Gen1, double Gen2)> RuntimeAsync()
    {
        string text = await _http.GetStringAsync(Metrics);
        return (Sum(text, AllocationsPattern()), Sum(text, CollectionsPattern("gen0")), Sum(text, CollectionsPattern("gen1")), Sum(text, CollectionsPattern("gen2")));
    }

    private static double Sum(string text, Regex pattern)
    {
        double total = 0;
        foreach (Match match in pattern.Matches(text))
        {
            total += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return total;
    }

    private static Regex CollectionsPattern(string generation) =>
        new($@"^dotnet_gc_collections_total\{{[^}}]*gc_heap_generation=""{generation}""[^}}]*\}} (?<value>[0-9.eE+]+)", RegexOptions.Multiline);

    // The runtime's own System.Runtime meter (.NET 9+), which OpenTelemetry's runtime instrumentation exports.
    [GeneratedRegex(@"^dotnet_gc_heap_total_allocated_bytes_total(\{[^}]*\})? (?<value>[0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex AllocationsPattern();

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var response = await _http.GetAsync(Metrics);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        _http.Dispose();
    }
}
