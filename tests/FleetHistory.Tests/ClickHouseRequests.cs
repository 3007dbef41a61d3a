using System.Net;
using System.Text;
using System.Web;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// Stands between the ClickHouse store and the server: keeps every statement the store sends (an
/// insert's from the <c>query</c> parameter, with its rows; any other's from the body), and fails
/// the requests <see cref="Fail"/> picks as a dropped connection would, before they reach the server.
/// Without an inner handler it is the server too, answering every statement with no rows.
/// </summary>
internal sealed class ClickHouseRequests : DelegatingHandler
{
    private readonly List<SentStatement> _sent = [];
    private readonly bool _answersItself;

    /// <param name="server">send on to the real server; false to answer every statement with no rows.</param>
    public ClickHouseRequests(bool server = true)
    {
        _answersItself = !server;
        if (server)
        {
            InnerHandler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1) };
        }
    }

    /// <summary>Which statements fail: given the statement and an insert's rows, true to fail it.</summary>
    public Func<SentStatement, bool> Fail { get; set; } = static _ => false;

    /// <summary>What was sent since the last <see cref="Clear"/>.</summary>
    public IReadOnlyList<SentStatement> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    public void Clear()
    {
        lock (_sent)
        {
            _sent.Clear();
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sent = Record(request);
        if (Fail(sent))
        {
            throw new HttpRequestException("Connection reset by peer (a failure the test made)");
        }

        return _answersItself ? Answer(sent) : base.Send(request, cancellationToken);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(Send(request, cancellationToken));

    private static HttpResponseMessage Answer(SentStatement sent) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(sent.Statement.EndsWith("FORMAT JSONCompact", StringComparison.Ordinal) ? """{"meta":[],"data":[],"rows":0}""" : ""),
    };

    private SentStatement Record(HttpRequestMessage request)
    {
        string body = "";
        if (request.Content is { } content)
        {
            using var reader = new StreamReader(content.ReadAsStream(), Encoding.UTF8);
            body = reader.ReadToEnd();
        }

        string? query = HttpUtility.ParseQueryString(request.RequestUri!.Query)["query"];
        var sent = query is null ? new SentStatement(body, null) : new SentStatement(query, body);
        lock (_sent)
        {
            _sent.Add(sent);
        }

        return sent;
    }
}

/// <summary>A statement the store sent, and an insert's TabSeparated rows.</summary>
internal sealed record SentStatement(string Statement, string? Rows)
{
    public bool IsInsertInto(string table) => Statement.StartsWith("INSERT INTO ", StringComparison.Ordinal) && Statement.Contains($".{table} ", StringComparison.Ordinal);
}
