using Convoy.Kafka.Embedded;
using Convoy.TenantConsole.Tests.Kit;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convoy.TenantConsole.Tests;

/// <summary>The Development sign-in (what the demo offers), in Chromium: pick a company and a role, and the console is that company's.</summary>
public sealed class DevSignInBrowserTests
{
    public static IEnumerable<object[]> Browsers => TestBrowser.WhereInstalled;

    [Theory]
    [MemberData(nameof(Browsers), DisableDiscoveryEnumeration = true)]
    public async Task TheDevSignIn_SignsInAsTheChosenCompanyAndRole_AndTheReadSideTakesItsToken(string browser)
    {
        Assert.Equal("chromium", browser);
        using var folder = new TempFolder("dev-signin");
        using var issuer = new TestPartner(folder.File("issuer"));
        using var kafka = EmbeddedKafkaCluster.Start();
        await using var history = await TestFleetHistory.StartAsync(kafka, issuer);
        await using var console = await TestConsole.StartAsync(history, "Development", TestConsole.DevSignIn(issuer, folder.File("dev.key"), "acme", "globex"));
        await using var chromium = await TestBrowser.StartAsync();
        var page = await chromium.NewPageAsync(console.Address);

        await page.GotoAsync("/status");
        Assert.Contains("/signin?returnUrl=%2Fstatus", page.Url, StringComparison.Ordinal);
        await page.Locator("input[name=role][value=viewer]").CheckAsync();
        await page.GetByTestId("signin-globex").ClickAsync();

        // Back where the person was going, as globex, and the read side answered (its projection status).
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Status", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("globex");
        await Expect(page.GetByText("Dispatcher (globex) · viewer")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("projection-status")).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByText("not answering").CountAsync());
        await page.GotoAsync("/reports");
        await Expect(page.GetByTestId("reports-need-analyst")).ToBeVisibleAsync();
    }
}
