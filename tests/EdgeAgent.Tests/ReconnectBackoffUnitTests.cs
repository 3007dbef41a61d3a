namespace Convoy.EdgeAgent.Tests;

public sealed class ReconnectBackoffUnitTests
{
    [Fact]
    public void NextDelay_DoublesPerFailure_UpToTheCap()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), random: () => 0.999999);

        var delays = Enumerable.Range(0, 9).Select(_ => Math.Round(backoff.NextDelay().TotalSeconds, 2)).ToList();

        Assert.Equal([0.5, 1, 2, 4, 8, 16, 30, 30, 30], delays);
        Assert.Equal(9, backoff.Failures);
    }

    [Fact]
    public void NextDelay_IsJitteredBetweenHalfAndAllOfItsCeiling()
    {
        var low = new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), random: () => 0);
        var high = new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), random: () => 0.999999);
        var real = new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60));

        Assert.Equal(TimeSpan.FromSeconds(1), low.NextDelay());
        Assert.Equal(2, high.NextDelay().TotalSeconds, 3);
        Assert.All(Enumerable.Range(0, 100).Select(_ => new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)).NextDelay()),
            d => Assert.InRange(d, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
        Assert.InRange(real.NextDelay(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Reset_AfterTheLinkWorked_StartsAgainFromTheFirstDelay()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), random: () => 0.999999);
        for (int i = 0; i < 6; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.Equal(1, backoff.NextDelay().TotalSeconds, 3);
    }

    [Fact]
    public void Constructor_RefusesANonPositiveFirstDelayOrACapBelowIt()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
    }
}
