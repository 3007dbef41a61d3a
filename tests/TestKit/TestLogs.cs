using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Convoy.TestKit;

/// <summary>
/// Everything the code under test logs, kept by the framework's <see cref="FakeLogCollector"/>.
/// Hand it over as an <see cref="ILogger"/> (it is one), as a typed logger (<see cref="For{T}"/>),
/// or to a host as a provider (<see cref="Provider"/>). A test counts and waits for events by name
/// instead of sleeping, asserts on the audit trail (<see cref="Entries"/>), and, through
/// <see cref="AssertNoUnexpectedErrors"/>, fails when the code logged an error it did not expect.
/// </summary>
public sealed class TestLogs : ILogger, IDisposable
{
    private readonly HashSet<string> _expectedErrors = new(StringComparer.Ordinal);
    private readonly FakeLogger _logger;

    public TestLogs()
    {
        Provider = new FakeLoggerProvider(Collector);
        _logger = new FakeLogger(Collector);
    }

    public FakeLogCollector Collector { get; } = new();

    /// <summary>A provider to add to a host under test.</summary>
    public ILoggerProvider Provider { get; }

    /// <summary>Warnings and worse so far, as (event name, message).</summary>
    public IReadOnlyList<(string Event, string Message)> Entries =>
        [.. Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).Select(r => (r.Id.Name ?? string.Empty, r.Message))];

    /// <summary>A typed logger writing into the same collector, for a component that asks for <c>ILogger&lt;T&gt;</c>.</summary>
    public ILogger<T> For<T>() => new FakeLogger<T>(Collector);

    /// <summary>How many times the event was logged so far, at any level.</summary>
    public int Count(string eventName) => Collector.GetSnapshot().Count(r => r.Id.Name == eventName);

    /// <summary>Errors logged under these event names are part of what the test provokes.</summary>
    public TestLogs ExpectErrors(params string[] eventNames)
    {
        lock (_expectedErrors)
        {
            _expectedErrors.UnionWith(eventNames);
        }

        return this;
    }

    /// <summary>Fails when an error or a critical event was logged that the test did not declare with <see cref="ExpectErrors"/>.</summary>
    public void AssertNoUnexpectedErrors()
    {
        List<FakeLogRecord> unexpected;
        lock (_expectedErrors)
        {
            unexpected = [.. Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Error && !_expectedErrors.Contains(r.Id.Name ?? string.Empty))];
        }

        Assert.True(unexpected.Count == 0,
            "The code under test logged errors the test did not expect:" + Environment.NewLine
            + string.Join(Environment.NewLine, unexpected.Select(r => $"  [{r.Level}] {r.Category} {r.Id.Name}: {r.Message} {r.Exception?.GetType().Name} {r.Exception?.Message}")));
    }

    /// <summary>Completes once <paramref name="eventName"/> was logged at least <paramref name="times"/> times; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(string eventName, int times, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        int seen = 0;
        try
        {
            await foreach (var record in Collector.GetLogsAsync(cancel.Token))
            {
                if (record.Id.Name == eventName && ++seen >= times)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }

        Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {eventName} to be logged {times} time(s); it was logged {Count(eventName)} time(s).");
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _logger.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _logger.Log(logLevel, eventId, state, exception, formatter);

    public void Dispose() => Provider.Dispose();
}
