using System.Collections.Concurrent;
using System.Net;
using Convoy.TestKit.Otlp;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Convoy.TestKit;

/// <summary>
/// An OTLP trace receiver inside the test, as an OpenTelemetry Collector would be: OTLP/gRPC
/// (<c>TraceService/Export</c>) on 127.0.0.1, a free port, plain HTTP/2. Point a program's
/// <c>Otlp:Endpoint</c> at <see cref="Endpoint"/> and read what it exported from <see cref="Spans"/>.
/// </summary>
public sealed class TestOtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private WebApplication _app = null!;

    private TestOtlpReceiver()
    {
    }

    /// <summary>The receiver's address for <c>Otlp:Endpoint</c> (protocol Grpc).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every span received so far, in the order they arrived.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public static async Task<TestOtlpReceiver> StartAsync()
    {
        var receiver = new TestOtlpReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, static listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(receiver);
        receiver._app = builder.Build();
        receiver._app.MapGrpcService<TraceReceiver>();
        await receiver._app.StartAsync();
        string address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Receive(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            string service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? string.Empty;
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        span.Name,
                        Convert.ToHexStringLower(span.TraceId.Span),
                        Convert.ToHexStringLower(span.SpanId.Span),
                        Convert.ToHexStringLower(span.ParentSpanId.Span),
                        span.Kind,
                        span.Status?.Code ?? Otlp.StatusCode.Unset,
                        span.Attributes.ToDictionary(a => a.Key, a => Text(a.Value), StringComparer.Ordinal)));
                }
            }
        }
    }

    private static string Text(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => string.Empty,
    };

    private sealed class TraceReceiver(TestOtlpReceiver receiver) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            receiver.Receive(request);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }
}

/// <summary>
/// One span as an OTLP receiver got it: the exporting program (its resource's <c>service.name</c>),
/// the span's name, ids in lower-case hex (the parent's empty for a trace's first span), kind,
/// status and attributes (as text).
/// </summary>
public sealed record ReceivedSpan(string Service, string Name, string TraceId, string SpanId, string ParentSpanId, SpanKind Kind,
    Otlp.StatusCode Status, IReadOnlyDictionary<string, string> Attributes);
