using System.Globalization;
using System.Text.Json;
using Convoy.Contracts.Telemetry.V1;
using Convoy.TenantConsole;
using Convoy.TestKit;
using Microsoft.Playwright;

namespace Convoy.ConsoleLoad;

/// <summary>
/// How fresh the console is, end to end: the real collector (mutual TLS, acknowledged after the
/// embedded Kafka has the batch), the read side with its shipped flush interval, and the console
/// with the Fleet page open in Chromium. One truck's batch is sent at a time, with a speed no earlier
/// batch of that truck had; a MutationObserver in the page stamps (with the browser's wall clock) the
/// moment the truck's row shows that speed. The figure is that stamp minus the wall-clock time of
/// the collector's ack, on the same machine and clock.
/// </summary>
internal static class Freshness
{
    private const int Trucks = 10;
    private const int WarmUp = 10;

    /// <summary>Records each change of a fleet row's speed cell, with the browser's clock.</summary>
    private const string Observer = """
        () => {
          window.__speeds = [];
          const last = new Map();
          const scan = () => {
            const now = Date.now();
            for (const row of document.querySelectorAll('[data-testid=fleet-row]')) {
              const speed = row.children[2]?.textContent ?? '';
              const device = row.getAttribute('data-device');
              if (last.get(device) !== speed) {
                last.set(device, speed);
                window.__speeds.push({ device, speed, at: now });
              }
            }
          };
          new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
          scan();
        }
        """;

    private const string Shown = """
        ([device, speed]) => window.__speeds.find(s => s.device === device && s.speed === speed)?.at ?? 0
        """;

    public static async Task<int> RunAsync(int batches)
    {
        using var folder = new TempFolder("console-freshness");
        using var issuer = new TestPartner(folder.File("issuer"));
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme"] });
        // The read side as it ships: its default flush interval, not the tests' short one.
        await using var history = await TestFleetHistory.StartAsync(collector.Kafka, issuer, null,
            $"--FleetHistory:FlushMilliseconds={new Convoy.FleetHistory.FleetHistoryOptions().FlushMilliseconds}");
        string keyFile = folder.File("dev-sign-in.pem");
        await File.WriteAllTextAsync(keyFile, issuer.Ec.ExportPkcs8PrivateKeyPem());
        var console = TenantConsoleHost.Build(
        [
            "--TenantConsole:Port=0", $"--TenantConsole:FleetHistoryUrl={history.GrpcAddress}",
            $"--TenantConsole:DevSignIn:SigningKeyFile={keyFile}", $"--TenantConsole:DevSignIn:Issuer={TestPartner.Issuer}",
            $"--TenantConsole:DevSignIn:KeyId={TestPartner.EcKid}", "--TenantConsole:DevSignIn:Tenants:0=acme",
            "--Logging:LogLevel:Default=Warning",
        ], "Development");
        await console.StartAsync();
        try
        {
            var devices = Enumerable.Range(0, Trucks).Select(i => collector.Device("acme", $"truck-{i:D2}")).ToArray();
            ulong sequence = 0;
            // Every truck on the map before the page opens.
            foreach (var (device, i) in devices.Select((d, i) => (d, i)))
            {
                await device.SendAsync(Batch($"truck-{i:D2}", ++sequence, 1f));
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await Chromium.LaunchAsync(playwright);
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = TenantConsoleHost.Address(console).ToString() });
            context.SetDefaultTimeout(60_000);
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            await page.GetByTestId("signin-acme").ClickAsync();
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('[data-testid=fleet-row]').length >= {Trucks} && document.querySelector('[data-testid=fleet-list]')?.dataset.live === 'true'");
            await page.EvaluateAsync(Observer);

            var latencies = new List<double>();
            for (int i = 0; i < batches + WarmUp; i++)
            {
                string truck = $"truck-{i % Trucks:D2}";
                // Speeds 2..201 km/h: a truck's consecutive batches (10 apart) never repeat one.
                float speed = 2 + (i % 200);
                await devices[i % Trucks].SendAsync(Batch(truck, ++sequence, speed));
                long acked = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                string text = speed.ToString("0", CultureInfo.InvariantCulture) + " km/h";
                var shown = await page.WaitForFunctionAsync(Shown, new object[] { truck, text }, new PageWaitForFunctionOptions { PollingInterval = 10, Timeout = 30_000 });
                long at = (await shown.JsonValueAsync<JsonElement>()).GetInt64();
                if (i >= WarmUp)
                {
                    latencies.Add(Math.Max(0, at - acked));
                }
            }

            foreach (var device in devices)
            {
                device.Dispose();
            }

            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"console freshness, collector ack -> the Fleet page showing it in Chromium ({batches} batches, one at a time, read side FlushMilliseconds {new Convoy.FleetHistory.FleetHistoryOptions().FlushMilliseconds}; {Environment.ProcessorCount} cores, {Machine.CpuModel()}): " +
                $"p50 {Percentile(latencies, 0.50):0} ms, p99 {Percentile(latencies, 0.99):0} ms, max {latencies[^1]:0} ms"));
            return 0;
        }
        finally
        {
            await console.StopAsync();
            await console.DisposeAsync();
        }
    }

    /// <summary>One fix now at <paramref name="speedKmh"/>.</summary>
    private static TelemetryBatch Batch(string truck, ulong sequence, float speedKmh) =>
        BatchBuilder.For(truck, sequence).StartingAt(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Every(TimeSpan.FromSeconds(1))
            .Gps(1, _ => speedKmh, static _ => (52.0, 4.9));

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

/// <summary>Debian's Chromium, headless, as every measurement here launches it.</summary>
internal static class Chromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
}

/// <summary>What the figures are measured on.</summary>
internal static class Machine
{
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(static l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "" : "";
}
