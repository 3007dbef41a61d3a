using System.Diagnostics.Metrics;
using Convoy.Collector.Authentication;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace Convoy.Collector.Tests;

public sealed class AccessAuditUnitTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogger<AccessAudit> _logger = new();

    [Fact]
    public void Refuse_LogsOneStructuredEventWithEveryField_AndCountsItByReason()
    {
        var meters = _services.GetRequiredService<IMeterFactory>();
        using var refused = new MetricCollector<long>(meters, CollectorMetrics.MeterName, "convoy.collector.access.refused");
        var audit = new AccessAudit(new CollectorMetrics(meters), _logger);

        var error = audit.Refuse(StatusCode.PermissionDenied, "missing-role", "lacks the role 'ingest'", "acme", "partner dispatch-app", "0A1B", "ipv4:10.1.2.3:5555");

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("lacks the role 'ingest'", error.Status.Detail);
        var record = _logger.LatestRecord;
        Assert.Equal("AccessRefused", record.Id.Name);
        var fields = record.StructuredState!.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("acme", fields["Tenant"]);
        Assert.Equal("partner dispatch-app", fields["Principal"]);
        Assert.Equal("0A1B", fields["Serial"]);
        Assert.Equal("ipv4:10.1.2.3:5555", fields["Remote"]);
        Assert.Equal("missing-role", fields["Reason"]);
        var measurement = Assert.Single(refused.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("missing-role", measurement.Tags["reason"]);
        Assert.Equal("acme", measurement.Tags["tenant"]);
    }

    [Fact]
    public void Refuse_WithUnknownTenantAndNoCertificate_StillLogsAndCounts()
    {
        var meters = _services.GetRequiredService<IMeterFactory>();
        using var refused = new MetricCollector<long>(meters, CollectorMetrics.MeterName, "convoy.collector.access.refused");
        var audit = new AccessAudit(new CollectorMetrics(meters), _logger);

        audit.Refuse(StatusCode.Unauthenticated, "no-credentials", "present a certificate or a token", null, null, null, "ipv4:127.0.0.1:4000");

        var fields = _logger.LatestRecord.StructuredState!.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(string.Empty, fields["Tenant"]);
        Assert.Equal("-", fields["Serial"]);
        Assert.Equal("ipv4:127.0.0.1:4000", fields["Remote"]);
        Assert.Equal("no-credentials", Assert.Single(refused.GetMeasurementSnapshot()).Tags["reason"]);
    }

    public void Dispose() => _services.Dispose();
}
