namespace Convoy.EndToEnd.Tests;

/// <summary>Waits for a condition that the system under test makes true asynchronously, failing with a message after a deadline.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(100);
        }
    }
}
