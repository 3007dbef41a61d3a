using Convoy.Contracts.Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Convoy.TenantConsole.ReadSide;

/// <summary>
/// The read side's query API (proto/convoy/fleet/v1/fleet_history.proto), over one HTTP/2 channel
/// shared by every user; each call carries the signed-in person's own token, so the read side
/// decides what they may see, and the console never widens it.
/// </summary>
internal sealed class ReadSideClient : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);
    private readonly GrpcChannel _channel;

    public ReadSideClient(IOptions<TenantConsoleOptions> options)
    {
        Address = new Uri(options.Value.FleetHistoryUrl);
        _channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        Fleet = new FleetHistory.FleetHistoryClient(_channel);
    }

    /// <summary>The read side's gRPC address (TenantConsole:FleetHistoryUrl).</summary>
    public Uri Address { get; }

    public FleetHistory.FleetHistoryClient Fleet { get; }

    /// <summary>Call options for one call as <paramref name="user"/>: their bearer token and a deadline.</summary>
    public static CallOptions As(TenantUser user, CancellationToken cancellation) =>
        new(new Metadata { { "authorization", "Bearer " + user.ReadSideToken } }, DateTime.UtcNow + CallTimeout, cancellation);

    /// <summary>Call options for a stream as <paramref name="user"/>: their token, no deadline.</summary>
    public static CallOptions Streaming(TenantUser user, CancellationToken cancellation) =>
        new(new Metadata { { "authorization", "Bearer " + user.ReadSideToken } }, null, cancellation);

    /// <summary>What to tell the person when a call fails: the read side's own message where it is meant for them.</summary>
    public static string Explain(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unauthenticated => "Your session has expired: sign in again.",
        StatusCode.PermissionDenied => e.Status.Detail is { Length: > 0 } d ? d : "Your role does not allow this.",
        StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition => e.Status.Detail,
        StatusCode.ResourceExhausted => "Your company is making too many queries right now; try again in a moment.",
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => "The fleet history service is not answering right now; try again in a moment.",
        _ => $"The fleet history service failed ({e.StatusCode}); try again, and tell your administrator if it persists.",
    };

    public void Dispose() => _channel.Dispose();
}
