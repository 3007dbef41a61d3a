using System.Globalization;
using System.Text;

namespace Convoy.FleetHistory.Store.ClickHouse;

/// <summary>
/// How values are written into ClickHouse statements and TabSeparated data. Tenant and device ids
/// are validated before they get here, but rule ids, messages, units and the device ids a caller
/// filters by are free text, so every string goes through <see cref="Quote"/> or
/// <see cref="AppendEscaped"/>, never into a statement as it is.
/// </summary>
/// <remarks>
/// One escaping serves both: ClickHouse reads a backslash sequence the same way in a quoted literal
/// and in a TabSeparated field (<c>\\</c>, <c>\'</c>, <c>\t</c>, <c>\n</c>, <c>\r</c>, <c>\0</c>,
/// <c>\b</c>, <c>\f</c>; any other escaped character stands for itself). Escaping the quote keeps a
/// literal closed; escaping tab and newline keeps a field in its column and row.
/// </remarks>
internal static class ClickHouseSql
{
    /// <summary>A string literal: <c>'...'</c>, every character that could end it or the row escaped.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append('\'');
        AppendEscaped(builder, text);
        return builder.Append('\'').ToString();
    }

    /// <summary>Appends <paramref name="text"/> escaped, for inside a literal's quotes or as a TabSeparated field.</summary>
    public static void AppendEscaped(StringBuilder builder, string text)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': builder.Append(@"\\"); break;
                case '\'': builder.Append(@"\'"); break;
                case '\t': builder.Append(@"\t"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\r': builder.Append(@"\r"); break;
                case '\0': builder.Append(@"\0"); break;
                case '\b': builder.Append(@"\b"); break;
                case '\f': builder.Append(@"\f"); break;
                default: builder.Append(c); break;
            }
        }
    }

    /// <summary>An integer literal. (long.MinValue is read back as Int64 by 18.16 too.)</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A floating-point value as ClickHouse parses it: the shortest text that reads back to the same
    /// bits, and <c>nan</c>/<c>inf</c> for what .NET would write as <c>NaN</c>/<c>Infinity</c>.
    /// </summary>
    public static string Number(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <inheritdoc cref="Number(double)"/>
    public static string Number(float value) => float.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : Number((double)value);
}

/// <summary>Rows for an <c>INSERT ... FORMAT TabSeparated</c>: fields escaped, tab between them, newline after each row.</summary>
internal sealed class TabSeparatedRows
{
    private readonly StringBuilder _text = new();
    private bool _rowStarted;

    public int Count { get; private set; }

    public TabSeparatedRows Text(string value)
    {
        Separate();
        ClickHouseSql.AppendEscaped(_text, value);
        return this;
    }

    public TabSeparatedRows Number(long value) => Raw(ClickHouseSql.Number(value));

    public TabSeparatedRows Number(ulong value) => Raw(value.ToString(CultureInfo.InvariantCulture));

    public TabSeparatedRows Number(double value) => Raw(ClickHouseSql.Number(value));

    public TabSeparatedRows Number(float value) => Raw(ClickHouseSql.Number(value));

    public void EndRow()
    {
        _text.Append('\n');
        _rowStarted = false;
        Count++;
    }

    public override string ToString() => _text.ToString();

    private TabSeparatedRows Raw(string value)
    {
        Separate();
        _text.Append(value);
        return this;
    }

    private void Separate()
    {
        if (_rowStarted)
        {
            _text.Append('\t');
        }

        _rowStarted = true;
    }
}
