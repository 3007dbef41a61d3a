using System.Net;
using System.Text;

namespace Convoy.TestKit;

/// <summary>
/// The smallest client for ClickHouse's HTTP interface, for checking <see cref="ClickHouseTestServer"/>
/// itself: a statement in, the server's text out. Not the read side's client (that one belongs to the
/// store, in src/), so it stays internal to the kit.
/// </summary>
internal sealed class ClickHouseHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public ClickHouseHttpClient(Uri endpoint)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            // ClickHouse closes an idle keep-alive connection after keep_alive_timeout (10 s by default,
            // 3 s in the package's config.xml); reusing one it is closing fails a request that never
            // reached it, so drop ours sooner.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1),
        })
        {
            BaseAddress = endpoint,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    /// <summary>
    /// Runs one statement. Without <paramref name="data"/> the statement is the request body; with it,
    /// the statement goes in the <c>query</c> parameter and the data is the body, as an
    /// <c>INSERT ... FORMAT</c> expects. Fails with ClickHouse's own message when it answers an error.
    /// </summary>
    public async Task<string> QueryAsync(string statement, string? data = null, CancellationToken cancellation = default)
    {
        using var request = data is null
            ? new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(statement, Encoding.UTF8) }
            : new HttpRequestMessage(HttpMethod.Post, "/?query=" + Uri.EscapeDataString(statement)) { Content = new StringContent(data, Encoding.UTF8) };
        using var response = await _http.SendAsync(request, cancellation);
        string text = await response.Content.ReadAsStringAsync(cancellation);

        // ClickHouse 18.16 answers errors with 500, 404 (an unknown identifier) or 400, the message in the body.
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"ClickHouse answered {(int)response.StatusCode} to `{statement}`: {text.Trim()}", null, response.StatusCode);
        }

        return text;
    }

    /// <summary>True when <c>GET /ping</c> answers <c>Ok.</c>: the server accepts queries.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellation = default)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("/ping", UriKind.Relative), cancellation);
            return response.StatusCode == HttpStatusCode.OK
                && (await response.Content.ReadAsStringAsync(cancellation)).Trim() == "Ok.";
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
