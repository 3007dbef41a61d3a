namespace Convoy.TestKit;

/// <summary>
/// Waits for a condition that the system under test makes true asynchronously, failing with a
/// message that says what was awaited once the deadline passes. Use it to wait for the state or
/// event that proves a behaviour, never a fixed sleep.
/// </summary>
public static class Eventually
{
    /// <summary>The patience of a test on a loaded, shared CI machine, unless a test says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, what);

    public static Task HoldsAsync(Func<bool> condition, string what) => HoldsAsync(condition, DefaultTimeout, what);

    public static Task HoldsAsync(Func<Task<bool>> condition, string what) => HoldsAsync(condition, DefaultTimeout, what);

    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(Poll);
        }
    }

    /// <summary>Polls <paramref name="read"/> until its value satisfies <paramref name="condition"/>, and returns that value.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            T value = await read();
            if (condition(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what} (last value: {value})");
            await Task.Delay(Poll);
        }
    }
}
