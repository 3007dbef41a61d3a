using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Convoy.TenantConsole.Tests.Kit;

/// <summary>
/// Debian's Chromium, driven by Playwright through its ExecutablePath: Playwright never downloads
/// a browser. The browser tests take their one case from <see cref="WhereInstalled"/>: where
/// Chromium is neither installed nor required there is no case, so they give no result at all
/// (never a skipped or an empty pass), as the ClickHouse tests do. CI installs the package and sets
/// <see cref="RequireVariable"/>=1, which turns a missing Chromium into a failure.
/// </summary>
public sealed class TestBrowser : IAsyncDisposable
{
    public const string RequireVariable = "CONVOY_REQUIRE_CHROMIUM";

    /// <summary>Where screenshots of each page go; CI sets it and keeps them out of the repository.</summary>
    public const string ScreenshotsVariable = "CONVOY_SCREENSHOTS";

    // The flags keep Chromium off the network it cannot reach here (component updates, sync, QUIC).
    private static readonly string[] Flags =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

    private readonly IPlaywright _playwright;

    private TestBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string? Executable => InstalledPrograms.Find("chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser");

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>One case ("chromium") where Chromium is installed or required, else none.</summary>
    public static IEnumerable<object[]> WhereInstalled =>
        Executable is not null || Required ? [["chromium"]] : [];

    public static async Task<TestBrowser> StartAsync()
    {
        string executable = Executable ?? throw new InvalidOperationException(
            $"{RequireVariable}=1 but Chromium is not installed: run `apt-get install -y chromium` (.ci/run does).");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = Flags });
            return new TestBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh browser profile (no cookies) on <paramref name="baseAddress"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        // Expect(...) assertions have their own default (5 s), too short for read-side data on a busy 2-core CI machine.
        Assertions.SetDefaultExpectTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>A full-page screenshot into the screenshots folder (the temporary folder's when unset).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        string folder = Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } set ? set : Path.Combine(Path.GetTempPath(), "convoy-console-screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>axe-core's check of the page as it is now: fails with every serious or critical violation, named with its elements.</summary>
    public static async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(static v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{what} has accessibility violations:\n" + string.Join("\n", bad.Select(static v =>
            $"- {v.Id} ({v.Impact}): {v.Help}; at {string.Join(", ", v.Nodes.Take(5).Select(static n => n.Target?.ToString()))}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
