using System.Diagnostics;
using System.Globalization;
using Convoy.ConsoleLoad;
using Microsoft.Playwright;

// Usage: dotnet run -c Release --project bench/ConsoleLoad -- [--console URL] [--tenant T] [--seconds S] [--pid PID]
// Signs in to the console with the demo's Development sign-in, then measures:
// 1. first load: a new tab opening the Fleet page until every truck of the tenant is on the map;
// 2. live updates: for S seconds with the Fleet page open, the pushes the browser receives (count
//    and bytes over the circuit's WebSocket) and, with --pid (the demo's process), that process's
//    CPU time; then S seconds with no page open, for the CPU the console's tab added.
// Or: dotnet run -c Release --project bench/ConsoleLoad -- freshness [--batches N]
// Starts its own collector, read side and console, and times each batch from the collector's ack
// to the open Fleet page showing it (Freshness.cs).
if (args is ["freshness", ..])
{
    return await Freshness.RunAsync(args is [_, "--batches", var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 100);
}

var options = Args.Parse(args);
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);
var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = options.Console, ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
context.SetDefaultTimeout(60_000);
var signIn = await context.NewPageAsync();
await signIn.GotoAsync("/signin");
await signIn.GetByTestId($"signin-{options.Tenant}").ClickAsync();
await signIn.WaitForSelectorAsync("[data-testid=truck-marker]");
int trucks = await signIn.Locator("[data-testid=truck-marker]").CountAsync();
await signIn.CloseAsync();
Console.WriteLine($"console {options.Console}, tenant {options.Tenant}: {trucks} trucks on the map; {Environment.ProcessorCount} cores, {Machine.CpuModel()}");

var loads = new List<double>();
var documents = new List<double>();
for (int i = 0; i < 7; i++)
{
    var page = await context.NewPageAsync();
    var clock = Stopwatch.StartNew();
    await page.GotoAsync("/");
    documents.Add(clock.Elapsed.TotalMilliseconds);
    await page.WaitForFunctionAsync("n => document.querySelectorAll('[data-testid=truck-marker]').length >= n", trucks);
    loads.Add(clock.Elapsed.TotalMilliseconds);
    await page.CloseAsync();
}

loads.Sort();
documents.Sort();
Console.WriteLine($"first load of the Fleet page until {trucks} trucks are drawn: median {loads[loads.Count / 2]:0} ms, max {loads[^1]:0} ms (7 loads); the page's load event alone: median {documents[documents.Count / 2]:0} ms");

long frames = 0, bytes = 0;
var live = await context.NewPageAsync();
live.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
{
    Interlocked.Increment(ref frames);
    Interlocked.Add(ref bytes, frame.Binary?.Length ?? frame.Text?.Length ?? 0);
};
await live.GotoAsync("/");
await live.WaitForSelectorAsync("[data-testid=truck-marker]");
await Task.Delay(2000);
Interlocked.Exchange(ref frames, 0);
Interlocked.Exchange(ref bytes, 0);
double cpuBefore = Cpu(options.Pid);
await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
double cpuWith = Cpu(options.Pid) - cpuBefore;
long seenFrames = Interlocked.Read(ref frames), seenBytes = Interlocked.Read(ref bytes);
await live.CloseAsync();
await Task.Delay(2000);
cpuBefore = Cpu(options.Pid);
await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
double cpuWithout = Cpu(options.Pid) - cpuBefore;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"live updates over {options.Seconds} s: {seenFrames} pushes ({seenFrames / (double)options.Seconds:0.0}/s), {seenBytes / Math.Max(1, seenFrames):0} bytes per push, {seenBytes / options.Seconds / 1024.0:0.0} KiB/s"));
if (options.Pid > 0)
{
    double added = cpuWith - cpuWithout;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"process {options.Pid} CPU: {cpuWith * 1000 / options.Seconds:0} ms/s with the page open, {cpuWithout * 1000 / options.Seconds:0} ms/s without: the tab adds {added * 1000 / options.Seconds:0} ms/s, {added * 1000 / Math.Max(1, seenFrames):0.00} ms per push"));
}

return 0;

// User + system CPU seconds of a process, from /proc.
static double Cpu(int pid)
{
    if (pid <= 0)
    {
        return 0;
    }

    string stat = File.ReadAllText($"/proc/{pid}/stat");
    string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

internal sealed record Args(string Console, string Tenant, int Seconds, int Pid)
{
    public static Args Parse(string[] args)
    {
        var a = new Args("http://127.0.0.1:5080/", "acme", 30, 0);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            a = args[i] switch
            {
                "--console" => a with { Console = args[i + 1] },
                "--tenant" => a with { Tenant = args[i + 1] },
                "--seconds" => a with { Seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--pid" => a with { Pid = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"'{args[i]}' is not understood"),
            };
        }

        return a;
    }
}
