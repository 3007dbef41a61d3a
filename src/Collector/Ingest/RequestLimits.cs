using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Convoy.Collector.Authentication;
using Convoy.Collector.Validation;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Ingest;

/// <summary>
/// The two size limits a caller can hit before any handler runs, refused with a status and a
/// message that name the limit, and audited, instead of what the stack below would do: Kestrel
/// drops a connection whose request headers pass its limit (the caller sees UNAVAILABLE, which
/// says "retry"), and gRPC refuses an oversize message with a text that names no limit.
/// <list type="bullet">
/// <item>Request metadata (the HTTP/2 headers: a token, custom metadata) over
/// <see cref="MaxMetadataBytes"/>: INVALID_ARGUMENT, <c>metadata-too-large</c>. Kestrel's own
/// limits are set well above it (<see cref="KestrelHeaderBytes"/>), so this check sees the request.</item>
/// <item>An Upload request over <c>Collector:MaxBatchBytes</c>, which bounds the whole request, not
/// each batch in it: INVALID_ARGUMENT, <c>too-large</c>, read from the gRPC frame's length before
/// the body is. A Stream's oversize batch is refused the same way by <see cref="IngestService"/>.</item>
/// </list>
/// </summary>
internal sealed class RequestLimits(RequestDelegate next, IOptions<CollectorOptions> options, AccessAudit audit, CollectorMetrics metrics)
{
    /// <summary>The most request metadata a call may carry: a partner token of a few KB fits many times over.</summary>
    public const int MaxMetadataBytes = 32 * 1024;

    /// <summary>Kestrel's header limits, set above <see cref="MaxMetadataBytes"/> so that a refusal is this class's, with a status.</summary>
    public const int KestrelHeaderBytes = 256 * 1024;

    private const string UploadPath = "/convoy.telemetry.v1.Ingest/Upload";

    private readonly int _maxBatchBytes = options.Value.MaxBatchBytes;

    /// <summary>A batch (Stream) over the limit; refused for good: no retry can pass.</summary>
    public static BatchVerdict BatchTooLarge(int maxBatchBytes) => BatchVerdict.Invalid(RefusalReasons.TooLarge,
        $"a batch is larger than this collector's limit of {maxBatchBytes} bytes (Collector:MaxBatchBytes); send smaller batches");

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.IsHttps)
        {
            await next(context);
            return;
        }

        int metadata = MetadataBytes(context.Request.Headers);
        if (metadata > MaxMetadataBytes)
        {
            string detail = $"the request metadata is {metadata} bytes, more than this collector's limit of {MaxMetadataBytes} bytes; send less metadata (a bearer token of a few KB is expected)";
            audit.Record(StatusCode.InvalidArgument, RefusalReasons.MetadataTooLarge, detail, null, null, null, context.Connection.RemoteIpAddress + ":" + context.Connection.RemotePort);
            await RefuseAsync(context, StatusCode.InvalidArgument, detail);
            return;
        }

        if (context.Request.Path == UploadPath && await UploadLengthAsync(context) is { } length && length > _maxBatchBytes)
        {
            string detail = $"the UploadRequest is {length} bytes, more than this collector's limit of {_maxBatchBytes} bytes (Collector:MaxBatchBytes), " +
                "which bounds the whole request, not each batch in it; send fewer batches per call";
            metrics.Refused(string.Empty, StatusCode.InvalidArgument, RefusalReasons.TooLarge);
            await RefuseAsync(context, StatusCode.InvalidArgument, detail);
            return;
        }

        await next(context);
    }

    /// <summary>The headers' size as HTTP/2 counts it for its limits: name and value, plus 32 bytes each.</summary>
    private static int MetadataBytes(IHeaderDictionary headers)
    {
        int total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (string? value in values)
            {
                total += name.Length + (value?.Length ?? 0) + 32;
            }
        }

        return total;
    }

    /// <summary>The length of the request's first gRPC message, from its 5-byte frame header, left unread for gRPC; null when there is none.</summary>
    private static async Task<long?> UploadLengthAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var read = await reader.ReadAtLeastAsync(5, context.RequestAborted);
        var buffer = read.Buffer;
        long? length = null;
        if (buffer.Length >= 5)
        {
            Span<byte> header = stackalloc byte[5];
            buffer.Slice(0, 5).CopyTo(header);
            length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        }

        reader.AdvanceTo(buffer.Start); // nothing consumed: gRPC reads the message from the start
        return length;
    }

    /// <summary>Ends the call as gRPC does for a refusal before any message: a trailers-only response.</summary>
    private static Task RefuseAsync(HttpContext context, StatusCode status, string detail)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(detail);
        return response.CompleteAsync();
    }
}
