using Grpc.Core;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Every refused authentication or authorization of a call goes through here: one structured
/// event (<c>AccessRefused</c>: tenant if known, device or token subject, certificate serial if
/// any, reason, remote address) and one count on <c>convoy.collector.access.refused</c> by reason.
/// </summary>
internal sealed class AccessAudit
{
    private readonly CollectorMetrics _metrics;
    private readonly ILogger<AccessAudit> _logger;

    public AccessAudit(CollectorMetrics metrics, ILogger<AccessAudit> logger)
    {
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Records the refusal and returns the exception that ends the call with it.</summary>
    public RpcException Refuse(StatusCode status, string reason, string detail, string? tenant, string? principal, string? serial, string? remote)
    {
        Record(status, reason, detail, tenant, principal, serial, remote);
        return new RpcException(new Status(status, detail));
    }

    /// <summary>Records a refusal of an authenticated caller (a batch or call it may not make).</summary>
    public void Record(StatusCode status, string reason, string detail, AuthenticatedDevice caller) =>
        Record(status, reason, detail, caller.Tenant, caller.Principal, caller.CertificateSerial, caller.Remote);

    public void Record(StatusCode status, string reason, string detail, string? tenant, string? principal, string? serial, string? remote)
    {
        CollectorLog.AccessRefused(_logger, tenant ?? string.Empty, principal ?? "(unknown)", serial ?? "-", remote ?? "-", status, reason, detail);
        _metrics.AccessRefused(tenant ?? string.Empty, reason);
    }
}
