using System.Text;

namespace Convoy.Tokens;

/// <summary>
/// Text a caller chose (a token's claims and header fields) as it may appear in a log line or a
/// refusal message: in double quotes, control and non-ASCII characters escaped as \n, \r, \t or
/// \uXXXX, quotes and backslashes escaped, and cut after 64 characters, so that nothing a caller
/// sends can forge a log line or flood one. Public: every program that takes tokens logs their
/// subjects, and a refused token's subject is text nobody vouched for.
/// </summary>
public static class LogText
{
    public const int MaxLength = 64;

    /// <summary>The text as it is when it is short printable ASCII without quotes, otherwise <see cref="Quote"/>d.</summary>
    public static string AsIs(string text) =>
        text.Length <= MaxLength && !text.AsSpan().ContainsAnyExceptInRange(' ', '~') && !text.Contains('"', StringComparison.Ordinal) ? text : Quote(text);

    public static string Quote(string? text)
    {
        if (text is null)
        {
            return "(none)";
        }

        var quoted = new StringBuilder(text.Length + 2).Append('"');
        int shown = Math.Min(text.Length, MaxLength);
        foreach (char c in text.AsSpan(0, shown))
        {
            switch (c)
            {
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case < ' ' or > '~': quoted.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: quoted.Append(c); break;
            }
        }

        quoted.Append('"');
        if (text.Length > shown)
        {
            quoted.Append(" (cut at ").Append(MaxLength).Append(" of ").Append(text.Length).Append(" characters)");
        }

        return quoted.ToString();
    }
}
