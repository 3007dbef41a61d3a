using System.Globalization;
using System.Net;
using Convoy.TenantConsole.Tests.Kit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convoy.TenantConsole.Tests;

/// <summary>
/// The console's pages in Debian's Chromium (Playwright), against the real platform underneath
/// (<see cref="ConsolePlatform"/>): what a dispatcher of one tenant sees and does, what another
/// tenant and a stranger are refused, and axe's accessibility check and a screenshot of each page.
/// </summary>
public sealed class ConsoleBrowserTests(ConsolePlatform stack) : IClassFixture<ConsolePlatform>
{
    public static IEnumerable<object[]> Browsers => TestBrowser.WhereInstalled;

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task SignedInAsAcme_TheFleetShowsAcmesTrucks_AndNoneOfGlobexs(string browser)
    {
        Assert.Equal("chromium", browser);
        var s = await stack.StartedAsync();
        var page = await SignInAsync(s, "vic@acme");

        var rows = page.GetByTestId("fleet-row");
        await Expect(rows).ToHaveCountAsync(ConsolePlatform.AcmeTrucks.Length);
        string[] shown = await Devices(rows);
        Assert.Equal(ConsolePlatform.AcmeTrucks, shown.Order(StringComparer.Ordinal));
        await Expect(page.GetByTestId("truck-marker")).ToHaveCountAsync(ConsolePlatform.AcmeTrucks.Length);
        Assert.DoesNotContain(ConsolePlatform.GlobexTrucks[0], await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("acme");

        // The search narrows the list.
        await Input(page, "fleet-search").FillAsync("reefer-2");
        await Expect(rows).ToHaveCountAsync(1);
    }

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task AnExcursionSentThroughTheCollector_FiresOnTheAlertsPage_AndIsAcknowledged(string browser)
    {
        Assert.Equal("chromium", browser);
        var s = await stack.StartedAsync();
        var page = await SignInAsync(s, "vic@acme");
        await page.GotoAsync("/alerts");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Alerts", Exact = true })).ToBeVisibleAsync();
        var firing = page.Locator($"[data-testid=firing-alert][data-device={ConsolePlatform.AcmeTrucks[1]}]");
        await Expect(firing).ToHaveCountAsync(0);

        await s.SendTemperatureAsync("acme", ConsolePlatform.AcmeTrucks[1], 12.5f);

        // Pushed to the open page: no reload.
        await Expect(firing).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(firing).ToContainTextAsync("reefer-too-warm");
        await firing.GetByTestId("ack-start").ClickAsync();
        await Input(firing, "ack-note").FillAsync("driver called, door was open");
        await firing.GetByTestId("ack-confirm").ClickAsync();
        await Expect(firing.GetByTestId("acknowledged")).ToContainTextAsync("driver called, door was open");

        // Another person of the tenant sees the acknowledgement too.
        var colleague = await SignInAsync(s, "ann@acme");
        await colleague.GotoAsync("/alerts");
        await Expect(colleague.Locator($"[data-testid=firing-alert][data-device={ConsolePlatform.AcmeTrucks[1]}]").GetByTestId("acknowledged"))
            .ToContainTextAsync("door was open", new() { Timeout = 10_000 });

        await s.SendTemperatureAsync("acme", ConsolePlatform.AcmeTrucks[1], 4f);
        await Expect(firing).ToHaveCountAsync(0, new() { Timeout = 10_000 });
    }

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task TheColdChainCsv_DownloadsWithARowPerTrailerAndZone(string browser)
    {
        Assert.Equal("chromium", browser);
        var s = await stack.StartedAsync();
        var page = await SignInAsync(s, "ann@acme");
        await page.GotoAsync("/reports");
        await Input(page, "report-ranges").FillAsync("1:2:8");
        await page.GetByTestId("report-run").ClickAsync();
        await Expect(page.GetByTestId("report-row")).ToHaveCountAsync(ConsolePlatform.AcmeTrucks.Length, new() { Timeout = 10_000 });

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("report-csv").ClickAsync());
        string path = await download.PathAsync();
        string[] lines = (await File.ReadAllLinesAsync(path)).Where(static l => l.Length > 0).ToArray();
        Assert.StartsWith("device_id,", lines[0], StringComparison.Ordinal);
        var rows = lines.Skip(1).ToList();
        Assert.Equal(ConsolePlatform.AcmeTrucks.Length, rows.Count);
        Assert.All(ConsolePlatform.AcmeTrucks, truck => Assert.Single(rows, r => r.StartsWith(truck + ",", StringComparison.Ordinal)));
        Assert.DoesNotContain(rows, r => r.Contains("globex", StringComparison.Ordinal));
        Assert.Contains($"cold-chain-acme-{DateTime.UtcNow:yyyy-MM-dd}.csv", download.SuggestedFilename, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task TheConsolesEndpoints_RefuseAnotherTenantsData_AndAnyoneNotSignedIn(string browser)
    {
        Assert.Equal("chromium", browser);
        var s = await stack.StartedAsync();
        var globex = await SignInAsync(s, "gus@globex");
        string day = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // HTTP: globex's session asks for acme's trailer.
        var theirs = await globex.APIRequest.GetAsync($"/reports/daily.csv?day={day}&zone=1:2:8&device={ConsolePlatform.AcmeTrucks[0]}");
        Assert.Equal((int)HttpStatusCode.NotFound, theirs.Status);
        Assert.Contains($"device {ConsolePlatform.AcmeTrucks[0]} not found", await theirs.TextAsync(), StringComparison.Ordinal);
        var nobodys = await globex.APIRequest.GetAsync($"/reports/daily.csv?day={day}&zone=1:2:8&device=no-such-truck");
        Assert.Equal(theirs.Status, nobodys.Status);

        // The hub: the truck page of acme's truck, in globex's session.
        await globex.GotoAsync($"/trucks/{ConsolePlatform.AcmeTrucks[0]}");
        await Expect(globex.GetByTestId("truck-problem")).ToContainTextAsync($"device {ConsolePlatform.AcmeTrucks[0]} not found");
        Assert.DoesNotContain("51.9", await globex.ContentAsync(), StringComparison.Ordinal);

        // Nobody signed in: pages go to the sign-in, the download and the hub are refused.
        var stranger = await s.Browser.NewPageAsync(s.Console.Address);
        await stranger.GotoAsync("/alerts");
        Assert.EndsWith("/signin?returnUrl=%2Falerts", stranger.Url, StringComparison.Ordinal);
        var download = await stranger.APIRequest.GetAsync($"/reports/daily.csv?day={day}");
        Assert.Equal((int)HttpStatusCode.Unauthorized, download.Status);
        var hub = await stranger.APIRequest.PostAsync("/_blazor/negotiate?negotiateVersion=1");
        Assert.Equal((int)HttpStatusCode.Unauthorized, hub.Status);
    }

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task EveryPage_PassesAxe_AndIsScreenshotted(string browser)
    {
        Assert.Equal("chromium", browser);
        var s = await stack.StartedAsync();
        var page = await SignInAsync(s, "ann@acme");
        (string Path, string Name, string Ready)[] pages =
        [
            ("/", "fleet", "fleet-row"),
            ($"/trucks/{ConsolePlatform.AcmeTrucks[0]}", "truck", "chart-fuel"),
            ("/alerts", "alerts", "alert-history"),
            ("/reports", "reports", "report-row"),
            ("/rules", "rules", "rules-table"),
            ("/status", "status", "lag"), // a partition's row: the page has its data, not only its frame
        ];
        foreach (var (path, name, ready) in pages)
        {
            await page.GotoAsync(path);
            await Expect(page.GetByTestId(ready).First).ToBeVisibleAsync();
            await TestBrowser.ScreenshotAsync(page, name);
            if (name == "rules")
            {
                // The engine's rule as the engine runs it (given to the read side too), not a default.
                await Expect(page.GetByTestId("rule-row")).ToContainTextAsync("zone 1 above 8 degC");
                await Expect(page.GetByTestId("rule-row")).Not.ToContainTextAsync("for 5 min");
            }

            await TestBrowser.AssertAccessibleAsync(page, $"The {name} page");
        }

        var signIn = await s.Browser.NewPageAsync(s.Console.Address);
        await signIn.GotoAsync("/signin");
        await TestBrowser.ScreenshotAsync(signIn, "signin");
        await TestBrowser.AssertAccessibleAsync(signIn, "The sign-in page");
    }

    /// <summary>
    /// A person's sign-in in a fresh browser profile, as a browser does it: the console's sign-in
    /// page, the provider's login page, back to the console's Fleet page.
    /// </summary>
    private static async Task<IPage> SignInAsync(ConsolePlatform s, string person)
    {
        var page = await s.Browser.NewPageAsync(s.Console.Address);
        await page.GotoAsync("/");
        await page.GetByTestId("signin-provider").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {person}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Fleet", Exact = true })).ToBeVisibleAsync();
        // The prerendered page is replaced when the tab's circuit starts: wait for the live one.
        await Expect(page.Locator("[data-testid=fleet-list][data-live=true]")).ToHaveCountAsync(1);
        return page;
    }

    /// <summary>A text field's input: MudBlazor puts the test id on the input itself.</summary>
    private static ILocator Input(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    private static ILocator Input(ILocator within, string testId) => within.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    private static async Task<string[]> Devices(ILocator rows)
    {
        var devices = new List<string>();
        for (int i = 0; i < await rows.CountAsync(); i++)
        {
            devices.Add(await rows.Nth(i).GetAttributeAsync("data-device") ?? "");
        }

        return [.. devices];
    }
}
