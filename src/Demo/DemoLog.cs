using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Convoy.Demo;

/// <summary>
/// Where the three programs' logs go during the demo: every line at Information and above to a
/// file, and warnings and errors also to the screen's "recent events" list, so they neither
/// scroll the summary away nor vanish.
/// </summary>
internal sealed class DemoLog : ILoggerProvider
{
    private readonly StreamWriter _file;
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<string> _recent = new();

    public DemoLog(string path)
    {
        FilePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _file = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    public string FilePath { get; }

    public IEnumerable<string> Recent => _recent;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _file.Dispose();

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string time = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _file.WriteLine($"{time} {level,-11} {category}: {message}");
            if (exception is not null)
            {
                _file.WriteLine(exception.ToString());
            }
        }

        if (level >= LogLevel.Warning)
        {
            _recent.Enqueue($"{time} {level.ToString().ToUpperInvariant()[..4]} {message}");
            while (_recent.Count > 4 && _recent.TryDequeue(out _))
            {
            }
        }
    }

    private sealed class Logger(DemoLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Information && !(logLevel < LogLevel.Warning && category.StartsWith("Microsoft", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
