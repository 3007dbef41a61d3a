using System.Globalization;

namespace Convoy.OptionsValidation;

/// <summary>
/// A setting's default as <c>--help</c> shows it, read from a new options instance so the help text
/// cannot drift from the property initializer: <c>(default 00:01:00)</c>. Durations as the
/// command line takes them (hh:mm:ss[.f], d.hh:mm:ss), numbers invariant.
/// Compiled into each project that has a help text (a linked file), internal to each.
/// </summary>
internal static class SettingDefault
{
    public static string Of(object? value) => $"(default {Text(value)})";

    public static string Text(object? value) => value switch
    {
        null => "",
        bool flag => flag ? "true" : "false",
        TimeSpan duration => Duration(duration),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Duration(TimeSpan duration)
    {
        string text = duration.ToString("c", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) && text.LastIndexOf('.') > text.IndexOf(':', StringComparison.Ordinal)
            ? text.TrimEnd('0').TrimEnd('.')
            : text;
    }
}
