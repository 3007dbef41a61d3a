using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Metadata = Grpc.Core.Metadata;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// AlertFeed.WatchAlerts: a partner with 'alerts:read' sees exactly its own tenant's alerts from
/// alerts.&lt;tid&gt;, never another tenant's; devices and tokens without the role are refused.
/// </summary>
public sealed class AlertFeedTests : IClassFixture<PartnerCollectorFixture>, IDisposable
{
    private const string A = PartnerCollectorFixture.TenantA;
    private const string B = PartnerCollectorFixture.TenantB;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly PartnerCollectorFixture _fixture;
    private readonly GrpcChannel _channel;
    private readonly AlertFeed.AlertFeedClient _feed;

    public AlertFeedTests(PartnerCollectorFixture fixture)
    {
        _fixture = fixture;
        _fixture.Collector.Kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic(A), partitions: 2);
        _fixture.Collector.Kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic(B), partitions: 1);
        _channel = TestPartner.Channel(fixture.Collector);
        _feed = new AlertFeed.AlertFeedClient(_channel);
    }

    [Fact]
    public async Task WatchAlerts_FromEarliest_SeesExactlyItsTenantsAlerts_NeverAnotherTenants()
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        Produce(A, Alert(A, $"a1-{run}", "truck-1"), Alert(A, $"a2-{run}", "truck-2"), Alert(A, $"a3-{run}", "truck-3"));
        Produce(B, Alert(B, $"b1-{run}", "truck-1"), Alert(B, $"b2-{run}", "truck-2"));
        // A record of tenant B written to A's topic by mistake is not A's to see either.
        Produce(A, Alert(B, $"stray-{run}", "truck-9"));
        // An acknowledgement of a1 (an event about an alert, not an alert) is not streamed: its
        // bytes would even parse as an Alert of tenant A.
        ProduceAcknowledgement(A, $"a1-{run}", "truck-1");
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = _feed.WatchAlerts(new WatchAlertsRequest { Start = WatchStart.Earliest }, Bearer(A, "alerts:read"), cancellationToken: watch.Token);

        var seen = new List<Alert>();
        await ReadUntilAsync(call, seen, a => a.AlertId == $"a3-{run}");
        // Then one more, written while watching: it arrives too, and nothing of B's came in between.
        Produce(A, Alert(A, $"a4-{run}", "truck-1"));
        await ReadUntilAsync(call, seen, a => a.AlertId == $"a4-{run}");
        await watch.CancelAsync();

        var mine = seen.FindAll(a => a.AlertId.EndsWith(run, StringComparison.Ordinal));
        Assert.Equal([$"a1-{run}", $"a2-{run}", $"a3-{run}", $"a4-{run}"], mine.Select(a => a.AlertId).Order());
        Assert.All(seen, a => Assert.Equal("reefer-too-warm", a.RuleId));
        // Passed over for its header, not tried as an alert and found unreadable.
        Assert.DoesNotContain(_fixture.Collector.Logs.Entries, e => e.Event == "AlertRecordSkipped" && e.Message.Contains("not a convoy.alerts.v1.Alert", StringComparison.Ordinal));
        Assert.All(seen, a => Assert.Equal(A, a.TenantId));
        // Counted from the collector's start, so a watch another test cancelled and that ends meanwhile cannot make it -1.
        await Eventually.HoldsAsync(() => _fixture.OpenAlertWatches.Sum(("tenant", A)) == 0, TimeSpan.FromSeconds(10), "the cancelled watch to end");
    }

    [Fact]
    public async Task WatchAlerts_OfTheOtherTenant_SeesOnlyThatTenantsAlerts()
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        Produce(A, Alert(A, $"a1-{run}", "truck-1"));
        Produce(B, Alert(B, $"b1-{run}", "truck-1"));
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = _feed.WatchAlerts(new WatchAlertsRequest { TenantId = B, Start = WatchStart.Earliest }, Bearer(B, "alerts:read"), cancellationToken: watch.Token);

        var seen = new List<Alert>();
        await ReadUntilAsync(call, seen, a => a.AlertId == $"b1-{run}");
        await watch.CancelAsync();

        Assert.All(seen, a => Assert.Equal(B, a.TenantId));
        Assert.DoesNotContain(seen, a => a.AlertId == $"a1-{run}");
    }

    [Fact]
    public async Task WatchAlerts_FromNow_SkipsAlertsWrittenBefore()
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        Produce(A, Alert(A, $"old-{run}", "truck-1"));
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = _feed.WatchAlerts(new WatchAlertsRequest { Start = WatchStart.Now }, Bearer(A, "alerts:read"), cancellationToken: watch.Token);

        // The watch positions itself at the end in the background: write until one arrives.
        var first = call.ResponseStream.MoveNext(watch.Token);
        for (int i = 0; !first.IsCompleted && i < 100; i++)
        {
            Produce(A, Alert(A, $"new-{i}-{run}", "truck-1"));
            await Task.WhenAny(first, Task.Delay(200));
        }

        Assert.True(await first);
        Assert.StartsWith("new-", call.ResponseStream.Current.AlertId, StringComparison.Ordinal);
        await watch.CancelAsync();
    }

    [Fact]
    public async Task WatchAlerts_EndsUnauthenticated_WhenTheTokenExpires()
    {
        var now = DateTime.UtcNow;
        string jwt = TestPartner.Mint(_fixture.Partner.EcSigning, A, new[] { "alerts:read" }, notBefore: now.AddMinutes(-1), expires: now.AddSeconds(3));
        using var call = _feed.WatchAlerts(new WatchAlertsRequest(), TestPartner.Bearer(jwt), DateTime.UtcNow.AddSeconds(60));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("expired", error.Status.Detail, StringComparison.Ordinal);
    }

    public static TheoryData<string, StatusCode, string> Refusals => new()
    {
        { "token without alerts:read", StatusCode.PermissionDenied, "missing-role" },
        { "device certificate", StatusCode.PermissionDenied, "device-not-allowed" },
        { "request naming another tenant", StatusCode.PermissionDenied, "wrong-tenant" },
        { "no credential", StatusCode.Unauthenticated, "no-credentials" },
        { "expired token", StatusCode.Unauthenticated, "token-expired" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task WatchAlerts_WithoutTheRight_IsRefusedWithItsStatus(string who, StatusCode expected, string reason)
    {
        long before = _fixture.Refusals.Sum(("reason", reason));
        using var device = _fixture.Collector.Device(A, "watcher-truck");
        var now = DateTime.UtcNow;
        var (feed, request, headers) = who switch
        {
            "token without alerts:read" => (_feed, new WatchAlertsRequest(), Bearer(A, "ingest")),
            "device certificate" => (new AlertFeed.AlertFeedClient(device.Channel), new WatchAlertsRequest(), new Metadata()),
            "request naming another tenant" => (_feed, new WatchAlertsRequest { TenantId = B }, Bearer(A, "alerts:read")),
            "no credential" => (_feed, new WatchAlertsRequest(), new Metadata()),
            "expired token" => (_feed, new WatchAlertsRequest(),
                TestPartner.Bearer(TestPartner.Mint(_fixture.Partner.RsaSigning, A, new[] { "alerts:read" }, notBefore: now.AddHours(-2), expires: now.AddHours(-1)))),
            _ => throw new ArgumentException(who, nameof(who)),
        };
        using var call = feed.WatchAlerts(request, headers, DateTime.UtcNow.AddSeconds(30));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
        await Eventually.HoldsAsync(() => _fixture.Refusals.Sum(("reason", reason)) > before, TimeSpan.FromSeconds(5),
            $"the refusal to be counted as {reason}");
    }

    private Metadata Bearer(string tenant, string roles) => TestPartner.Bearer(TestPartner.Mint(_fixture.Partner.RsaSigning, tenant, roles));

    private static async Task ReadUntilAsync(AsyncServerStreamingCall<Alert> call, List<Alert> seen, Func<Alert, bool> last)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (await call.ResponseStream.MoveNext(patience.Token))
        {
            seen.Add(call.ResponseStream.Current);
            if (last(call.ResponseStream.Current))
            {
                return;
            }
        }

        Assert.Fail("the watch ended before the expected alert arrived");
    }

    private static Alert Alert(string tenant, string id, string device) => new()
    {
        AlertId = id,
        TenantId = tenant,
        DeviceId = device,
        RuleId = "reefer-too-warm",
        Severity = Severity.Critical,
        State = AlertState.Firing,
        StartTimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        TriggerValue = 9.5,
        TriggerUnit = "degC",
        Message = "zone 1 at 9.5 degC",
    };

    /// <summary>Writes alerts to a tenant's topic as the alert engine does (keyed by device, the Alert protobuf).</summary>
    private void Produce(string topic, params Alert[] alerts)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _fixture.Collector.Kafka.BootstrapServers, Acks = Acks.All }).Build();
        foreach (var alert in alerts)
        {
            producer.Produce(TelemetryRecordHeaders.AlertTopic(topic), new Message<string, byte[]> { Key = alert.DeviceId, Value = alert.ToByteArray() });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
    }

    /// <summary>An AlertAcknowledged record as the fleet history read side writes it, header and all.</summary>
    private void ProduceAcknowledgement(string tenant, string alertId, string device)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _fixture.Collector.Kafka.BootstrapServers, Acks = Acks.All }).Build();
        var acknowledged = new AlertAcknowledged
        {
            AlertId = alertId, TenantId = tenant, DeviceId = device,
            Acknowledgement = new Acknowledgement { By = "dispatcher-7", Note = "driver called, door was open", TimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
        };
        producer.Produce(TelemetryRecordHeaders.AlertTopic(tenant), new Message<string, byte[]>
        {
            Key = device,
            Value = acknowledged.ToByteArray(),
            Headers = new Headers { { AlertRecordHeaders.Record, System.Text.Encoding.UTF8.GetBytes(AlertRecordHeaders.AlertAcknowledged) } },
        });
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        _channel.Dispose();
    }
}
