using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Convoy.Probes;

/// <summary>
/// The console log format an operator chooses with <c>Logging:Console:FormatterName</c>: <c>simple</c>
/// (the default), <c>json</c> (one object per line, for a log shipper) or <c>systemd</c> (a priority
/// prefix per line, for journald under the systemd units). ASP.NET Core's slim builder fixes the
/// console to the simple format, ignoring that setting; this puts it back, the same in every web
/// program (a linked file, src/Shared). An unknown name stops the start with one line.
/// </summary>
internal static class ConsoleLogFormat
{
    public const string Key = "Logging:Console:FormatterName";

    private static readonly string[] Names = [ConsoleFormatterNames.Simple, ConsoleFormatterNames.Json, ConsoleFormatterNames.Systemd];

    public static ILoggingBuilder UseConfiguredConsoleFormat(this ILoggingBuilder logging, IConfiguration configuration)
    {
        string? name = configuration[Key];
        if (string.IsNullOrEmpty(name))
        {
            return logging;
        }

        if (!Names.Contains(name, StringComparer.Ordinal))
        {
            throw new OptionsValidationException(Key, typeof(ConsoleLoggerOptions),
                [$"Configuration '{Key}' must be simple, json or systemd (journald), was '{name}'."]);
        }

        logging.Services.Configure<ConsoleLoggerOptions>(options => options.FormatterName = name);
        return logging;
    }
}
