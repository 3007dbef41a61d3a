using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Convoy.EndToEnd.Tests;

/// <summary>Keeps the warnings and errors a program under test logs (event name and message), to assert on its audit trail.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Event, string Message)> _entries = new();

    public IReadOnlyList<(string Event, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                logs._entries.Enqueue((eventId.Name ?? string.Empty, formatter(state, exception)));
            }
        }
    }
}
