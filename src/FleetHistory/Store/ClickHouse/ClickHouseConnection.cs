using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Convoy.FleetHistory.Store.ClickHouse;

/// <summary>
/// ClickHouse's HTTP interface, which every release since before 18.16 speaks the same way (the
/// native drivers on NuGet need far newer servers): a statement in the body, or an insert's
/// statement in the <c>query</c> parameter and its TabSeparated rows in the body; results as
/// <c>JSONCompact</c>, positional rows with 64-bit integers as plain numbers. Synchronous, because
/// <see cref="IFleetStore"/> is: the projector has a thread of its own and queries run on pool
/// threads. Safe for any number of threads at once.
/// </summary>
internal sealed partial class ClickHouseConnection : IDisposable
{
    /// <summary>How long a statement may take before the store counts ClickHouse as unavailable.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // max_query_size: a fleet state page may filter by 1000 device ids, more than the default 256 KiB of SQL.
    private const string Settings = "output_format_json_quote_64bit_integers=0&max_query_size=10485760";

    private readonly HttpClient _http;

    public ClickHouseConnection(Uri url, HttpMessageHandler? handler = null)
    {
        Url = url;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            // ClickHouse closes an idle keep-alive connection after keep_alive_timeout (3 s in
            // Debian's config.xml, 10 s by default); a request sent on a connection it is closing
            // fails without reaching it, so ours are dropped sooner.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = url,
            Timeout = Timeout,
        };
    }

    public Uri Url { get; }

    /// <summary>Runs a statement that returns nothing (CREATE).</summary>
    public void Execute(string statement)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "?" + Settings) { Content = Utf8(statement) };
        Send(request, statement, _ => { });
    }

    /// <summary>Inserts TabSeparated <paramref name="rows"/> with <paramref name="statement"/> (<c>INSERT INTO ... FORMAT TabSeparated</c>).</summary>
    public void Insert(string statement, string rows)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"?{Settings}&query={Uri.EscapeDataString(statement)}") { Content = Utf8(rows) };
        Send(request, statement, _ => { });
    }

    /// <summary>Runs a SELECT and hands each row of its result to <paramref name="row"/>.</summary>
    public void Select(string statement, Action<ResultRow> row)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "?" + Settings) { Content = Utf8(statement + " FORMAT JSONCompact") };
        Send(request, statement, body =>
        {
            using var result = JsonDocument.Parse(body);
            foreach (var values in result.RootElement.GetProperty("data").EnumerateArray())
            {
                row(new ResultRow(values));
            }
        });
    }

    public void Dispose() => _http.Dispose();

    private void Send(HttpRequestMessage request, string statement, Action<Stream> answer)
    {
        HttpResponseMessage response;
        try
        {
            response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        }
        // A synchronous send can surface the socket's own error unwrapped (ENOTCONN while ClickHouse
        // restarts was seen in CI), so a SocketException counts as unreachable as well.
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
        {
            throw new StoreUnavailableException($"ClickHouse at {Url} cannot be reached ({e.Message}); {What(statement)} was not run", e);
        }
        catch (TaskCanceledException e)
        {
            throw new StoreUnavailableException($"ClickHouse at {Url} did not answer {What(statement)} within {Timeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            try
            {
                using var body = response.Content.ReadAsStream();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    using var reader = new StreamReader(body, Encoding.UTF8);
                    string text = reader.ReadToEnd().Trim();
                    throw new ClickHouseRefusedException(ErrorCode(text), $"ClickHouse at {Url} answered {(int)response.StatusCode} to {What(statement)}: {text}");
                }

                answer(body);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or TaskCanceledException)
            {
                throw new StoreUnavailableException($"ClickHouse at {Url} broke off its answer to {What(statement)} ({e.Message})", e);
            }
            catch (JsonException e)
            {
                throw new StoreUnavailableException($"ClickHouse at {Url} answered {What(statement)} with what is not JSONCompact ({e.Message})", e);
            }
        }
    }

    /// <summary>The statement's first words, for messages: enough to tell which table, never the data.</summary>
    private static string What(string statement)
    {
        string oneLine = WhiteSpace().Replace(statement, " ").Trim();
        return "`" + (oneLine.Length <= 120 ? oneLine : oneLine[..120] + "...") + "`";
    }

    /// <summary>ClickHouse's error code from its answer (<c>Code: 81, e.displayText() = ...</c>), or 0.</summary>
    private static int ErrorCode(string text)
    {
        var match = CodePattern().Match(text);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
    }

    private static StringContent Utf8(string text) => new(text, Encoding.UTF8, "text/plain");

    [GeneratedRegex(@"^Code: (\d+)")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}

/// <summary>ClickHouse answered a statement with an error; <see cref="Code"/> is its error code.</summary>
internal sealed class ClickHouseRefusedException(int code, string message) : Exception(message)
{
    /// <summary>UNKNOWN_TABLE: a table that was never created (a tenant that never wrote).</summary>
    public const int UnknownTable = 60;

    /// <summary>UNKNOWN_DATABASE: a database that was never created (a tenant that never wrote, with a database per tenant).</summary>
    public const int UnknownDatabase = 81;

    public int Code { get; } = code;
}

/// <summary>One row of a JSONCompact result, read by position; ClickHouse writes a NaN or infinite float as null.</summary>
internal readonly struct ResultRow(JsonElement values)
{
    public string String(int column) => values[column].GetString() ?? "";

    public long Int64(int column) => values[column].GetInt64();

    public ulong UInt64(int column) => values[column].GetUInt64();

    public int Int32(int column) => values[column].GetInt32();

    public double Double(int column) => values[column].ValueKind == JsonValueKind.Null ? double.NaN : values[column].GetDouble();

    public float Single(int column) => values[column].ValueKind == JsonValueKind.Null ? float.NaN : values[column].GetSingle();
}
