using System.Globalization;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// Keeps one device's stream to a collector open and its buffer draining: sends every
/// unacknowledged batch in sequence order within the window the collector grants, releases
/// batches as acks arrive, and after any failure reconnects (exponential backoff with jitter,
/// honouring a retry delay the collector asks for, moving on to the next collector) and sends
/// again everything not yet acknowledged.
/// </summary>
internal sealed class DeviceUplink
{
    private const int DefaultWindow = 8;
    private readonly string _tenant;
    private readonly IBatchBuffer _buffer;
    private readonly IReadOnlyList<(Uri Address, GrpcChannel Channel)> _collectors;
    private readonly EdgeAgentOptions _options;
    private readonly EdgeAgentMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public DeviceUplink(string tenant, IBatchBuffer buffer, IReadOnlyList<(Uri Address, GrpcChannel Channel)> collectors, EdgeAgentOptions options,
        EdgeAgentMetrics metrics, ILogger logger, TimeProvider time)
    {
        _tenant = tenant;
        _buffer = buffer;
        _collectors = collectors;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new ReconnectBackoff(_options.ReconnectDelay, _options.ReconnectMaxDelay);
        int current = 0;
        while (!stopping.IsCancellationRequested)
        {
            var (address, channel) = _collectors[current];
            TimeSpan? askedDelay = null;
            string status;
            string detail;
            try
            {
                await StreamAsync(address, channel, backoff, stopping);
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                status = "closed";
                detail = "by the collector";
            }
            catch (RpcException e) when (!stopping.IsCancellationRequested && IsRefusedForGood(e.StatusCode) && _buffer.TryGetNext(_buffer.Acked, out ulong refused, out _))
            {
                // The collector acknowledged everything before the batch it refused, so the refused
                // one is the oldest kept. Sending it again would be refused again, for ever, with
                // every later batch waiting behind it.
                _buffer.DeadLetter(refused, e.Status.Detail);
                _metrics.DeadLettered(_tenant);
                EdgeAgentLog.BatchDeadLettered(_logger, _buffer.Device, refused, address, e.StatusCode.ToString(), e.Status.Detail);
                backoff.Reset();
                continue;
            }
            catch (RpcException e) when (!stopping.IsCancellationRequested)
            {
                status = e.StatusCode.ToString();
                detail = e.Status.Detail;
                askedDelay = RetryDelay(e.Trailers);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return; // shutting down: whatever the call threw, the buffer keeps what is unacknowledged
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                status = "Unavailable";
                detail = e.Message;
            }

            current = (current + 1) % _collectors.Count;
            var delay = backoff.NextDelay();
            if (askedDelay is { } asked)
            {
                delay = asked;
            }

            _metrics.Reconnect(_tenant);
            EdgeAgentLog.UplinkFailed(_logger, _buffer.Device, address, status, detail, delay);
            try
            {
                await Task.Delay(delay, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One stream's life. The first ack on it resets <paramref name="backoff"/>: the collector was
    /// healthy, so however the stream ends (a collector restart ends it with an error), the truck
    /// comes back after the first delay, not after a delay grown over earlier failures.
    /// </summary>
    private async Task StreamAsync(Uri address, GrpcChannel channel, ReconnectBackoff backoff, CancellationToken stopping)
    {
        using var streamEnded = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        // Every batch is gzip-compressed as a gRPC message (grpc-dotnet's built-in provider, level
        // Fastest): on a cellular link it cuts a raw reading from ~14.5 to ~10 bytes (docs/benchmarks.md).
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(IngestWire.Stream, null, new CallOptions(new Metadata { { "grpc-internal-encoding-request", "gzip" } }, cancellationToken: stopping));
        var headers = await call.ResponseHeadersAsync;
        int window = int.TryParse(headers.GetValue("convoy-window"), NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w > 0 ? w : DefaultWindow;
        EdgeAgentLog.Connected(_logger, _buffer.Device, address, window, _buffer.Acked);
        using var connected = UplinkOpen.Begin(_metrics, _tenant);

        var receiving = ReceiveAsync(call.ResponseStream, streamEnded, backoff, stopping);
        ulong sent = _buffer.Acked; // everything after the last ack goes (again)
        try
        {
            while (true)
            {
                if (sent - Math.Min(sent, _buffer.Acked) < (ulong)window && _buffer.TryGetNext(sent, out ulong sequence, out byte[] bytes))
                {
                    await call.RequestStream.WriteAsync(bytes, streamEnded.Token);
                    sent = sequence;
                    _metrics.Sent(_tenant);
                    continue;
                }

                await _buffer.WaitForChangeAsync(streamEnded.Token);
            }
        }
        catch (OperationCanceledException) when (streamEnded.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // The response side ended: its outcome (an RpcException, or a clean close) is the stream's.
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (RpcException) when (!stopping.IsCancellationRequested)
        {
            // Writing failed because the call ended; the response side says why (its status and
            // trailers, such as a retry delay), so that is what the caller sees.
        }

        await receiving;
    }

    private async Task ReceiveAsync(IAsyncStreamReader<IngestAck> acks, CancellationTokenSource streamEnded, ReconnectBackoff backoff, CancellationToken stopping)
    {
        try
        {
            while (await acks.MoveNext(stopping))
            {
                var (batches, readings) = _buffer.Acknowledge(acks.Current.AckedSequence);
                if (batches > 0)
                {
                    backoff.Reset();
                    _metrics.Acknowledged(_tenant, batches, readings);
                }
            }
        }
        finally
        {
            await streamEnded.CancelAsync();
        }
    }

    /// <summary>
    /// A status that says the batch itself is wrong, so no retry can succeed. Everything else can
    /// pass (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, UNAUTHENTICATED while a
    /// certificate is renewed) or concerns the device rather than one batch (PERMISSION_DENIED: the
    /// agent names its own device and tenant, so a refusal there is about its identity, which
    /// dead-lettering batch after batch would not fix): those are retried with backoff.
    /// </summary>
    internal static bool IsRefusedForGood(StatusCode status) => status == StatusCode.InvalidArgument;

    /// <summary>The delay a collector asked for when it refused the stream (gRPC's retry pushback trailer).</summary>
    private static TimeSpan? RetryDelay(Metadata trailers)
    {
        string? value = trailers.GetValue("grpc-retry-pushback-ms");
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : null;
    }
}

/// <summary>Counts a device's stream as open from <see cref="Begin"/> until disposed, however the stream ends.</summary>
internal readonly struct UplinkOpen : IDisposable
{
    private readonly EdgeAgentMetrics _metrics;
    private readonly string _tenant;

    private UplinkOpen(EdgeAgentMetrics metrics, string tenant) => (_metrics, _tenant) = (metrics, tenant);

    public static UplinkOpen Begin(EdgeAgentMetrics metrics, string tenant)
    {
        metrics.UplinkConnected(tenant, +1);
        return new UplinkOpen(metrics, tenant);
    }

    public void Dispose() => _metrics.UplinkConnected(_tenant, -1);
}
