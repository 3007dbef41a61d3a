using System.Net;
using System.Net.Http.Headers;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Bad input against a real Kestrel collector: each case gets its precise status and a message
/// naming the field, nothing reaches Kafka, and the process goes on serving other devices.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private const string Tenant = "bad-input";
    private readonly Dictionary<TestDevice, string> _names = [];
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchBytes=65536");

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public static TheoryData<string, StatusCode, string, string?> Cases => new()
    {
        { "sequence 0", StatusCode.InvalidArgument, "sequence must start at 1", "sequence-zero" },
        { "unequal columns", StatusCode.InvalidArgument, "temperatures[0].temperature_c has 1 values but temperatures[0].offset_ms has 2", "unequal-columns" },
        { "offsets backwards", StatusCode.InvalidArgument, "temperatures[0].offset_ms goes backwards at index 1", "time-backwards" },
        { "NaN", StatusCode.InvalidArgument, "temperatures[0].temperature_c[0] is NaN", "not-finite" },
        { "latitude 91", StatusCode.InvalidArgument, "gps.latitude_deg[0] is 91", "out-of-range" },
        { "from the future", StatusCode.InvalidArgument, "in the future", "clock-ahead" },
        { "from long ago", StatusCode.InvalidArgument, "is older than", "too-old" },
        { "one reading 49 days ahead", StatusCode.InvalidArgument, "temperatures[0].offset_ms[2] is 4233600000: that reading's time", "reading-ahead" },
        { "empty", StatusCode.InvalidArgument, "no readings", "empty" },
        { "unknown sensor kind", StatusCode.InvalidArgument, "scalars[0].kind 0 is not a known ScalarKind", "unknown-sensor-kind" },
        { "window summary mean outside", StatusCode.InvalidArgument, "temperatures[0].windows[0]: needs min <= mean <= max", "bad-window" },
        { "another device", StatusCode.PermissionDenied, "device_id 'truck-2'", "wrong-device" },
        { "another tenant", StatusCode.PermissionDenied, "tenant_id 'someone-else'", "wrong-tenant" },
        { "oversized", StatusCode.InvalidArgument, "a batch is larger than this collector's limit of 65536 bytes (Collector:MaxBatchBytes); send smaller batches", "too-large" }, // gRPC's reader refuses it; the collector names the limit
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadBatch_GetsItsStatusAndNamesTheField_AndNothingIsWritten(string defect, StatusCode expected, string named, string? reason)
    {
        using var meters = new MeterTotals();
        using var device = Device("truck-1");

        var error = await Assert.ThrowsAsync<RpcException>(() => device.SendAsync(Defective(defect)));

        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(named, error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_collector.Telemetry(Tenant), r => r.Message.Key == "truck-1");
        if (reason is not null)
        {
            Assert.Equal(1, meters.Tagged("convoy.collector.batches.refused", "reason", reason, Tenant)); // counted by its precise reason
        }

        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task SequenceGoingBackwardsOnAStream_IsInvalidArgument_AfterTheEarlierBatchesWereAckedAndWritten()
    {
        using var meters = new MeterTotals();
        using var device = Device("truck-1");

        var error = await Assert.ThrowsAsync<RpcException>(() => device.SendAsync(TestDevice.Batch("truck-1", 1), TestDevice.Batch("truck-1", 3), TestDevice.Batch("truck-1", 2)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("sequence 2 does not follow 3", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, meters.Tagged("convoy.collector.batches.refused", "reason", "sequence-backwards", Tenant));
        Assert.Equal([1UL, 3UL], _collector.Telemetry(Tenant).Where(r => r.Message.Key == "truck-1").Select(KafkaTopics.Sequence).Order());
        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task ReplayOfAcknowledgedBatchesOnANewStream_IsNotAnError_AndIsNotWrittenAgain()
    {
        using var device = Device("truck-1");
        await device.SendAsync(TestDevice.Batch("truck-1", 1), TestDevice.Batch("truck-1", 2));

        var acks = await device.SendAsync(TestDevice.Batch("truck-1", 1), TestDevice.Batch("truck-1", 2), TestDevice.Batch("truck-1", 3));

        Assert.Equal(3UL, acks[^1].AckedSequence);
        Assert.Equal([1UL, 2UL, 3UL], _collector.Telemetry(Tenant).Where(r => r.Message.Key == "truck-1").Select(KafkaTopics.Sequence).Order());
    }

    [Fact]
    public async Task MalformedProtobuf_IsInvalidArgument()
    {
        using var device = Device("truck-1");
        using var call = device.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(IngestWire.Stream, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));

        await call.RequestStream.WriteAsync([0x12, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]); // device_id claiming 4 GB in a 6-byte message
        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("device_id is truncated or not valid protobuf", error.Status.Detail, StringComparison.Ordinal);
        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task MalformedUpload_SaysWhereItsBytesBreak_NotTheProtobufLibrarysInternals()
    {
        using var device = Device("truck-1");
        byte[] endGroupWithoutStart = [0x0C]; // field 1 as wire type 4: an end-group tag with no group begun

        var error = await Assert.ThrowsAsync<RpcException>(() => device.Channel.CreateCallInvoker()
            .AsyncUnaryCall(IngestWire.Upload, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), endGroupWithoutStart).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("the message is not a valid convoy.telemetry.v1.UploadRequest: its protobuf encoding breaks at byte 1 of 1 ", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("SkipLastField", error.Status.Detail, StringComparison.Ordinal);
        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task MetadataOver32KB_IsInvalidArgument_NamingTheLimit_AndAudited_NotADroppedConnection()
    {
        using var device = Device("truck-1");
        var padding = new Metadata { { "x-padding", new string('a', 40_000) } };

        var error = await Assert.ThrowsAsync<RpcException>(() => device.SendAsync(padding, TestDevice.Batch("truck-1", 1)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Matches("^the request metadata is [0-9]+ bytes, more than this collector's limit of 32768 bytes; send less metadata", error.Status.Detail);
        Assert.Contains(_collector.Logs.Entries, static e => e.Event == "AccessRefused" && e.Message.Contains("metadata-too-large", StringComparison.Ordinal));
        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task UploadOverMaxBatchBytes_SaysTheLimitBoundsTheWholeRequest()
    {
        using var device = Device("truck-1");
        byte[] request = new byte[65_537];

        var error = await Assert.ThrowsAsync<RpcException>(() => device.Channel.CreateCallInvoker()
            .AsyncUnaryCall(IngestWire.Upload, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("the UploadRequest is 65537 bytes, more than this collector's limit of 65536 bytes (Collector:MaxBatchBytes), "
            + "which bounds the whole request, not each batch in it; send fewer batches per call", error.Status.Detail);
        await AnotherDeviceIsStillServedAsync();
    }

    [Fact]
    public async Task WrongContentType_IsRefusedBeforeAnyHandler()
    {
        using var device = Device("truck-1");
        using var http = new HttpClient(device.NewHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var content = new StringContent("{\"sequence\": 1}");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync(new Uri(_collector.Address, "/convoy.telemetry.v1.Ingest/Stream"), content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task CallWithoutTls_CannotReachTheService()
    {
        var plain = new UriBuilder(_collector.Address) { Scheme = "http" }.Uri;
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.PostAsync(new Uri(plain, "/convoy.telemetry.v1.Ingest/Stream"), new ByteArrayContent([])));
    }

    private async Task AnotherDeviceIsStillServedAsync()
    {
        using var healthy = Device("healthy-" + Guid.NewGuid().ToString("N")[..6]);
        var name = KafkaDeviceName(healthy);
        var acks = await healthy.SendAsync(TestDevice.Batch(name, 1));
        Assert.Equal(1UL, acks[^1].AckedSequence);
    }

    private string KafkaDeviceName(TestDevice device) => _names[device];

    private TestDevice Device(string name)
    {
        var device = _collector.Device(Tenant, name);
        _names[device] = name;
        return device;
    }

    private static TelemetryBatch Defective(string defect)
    {
        var batch = TestDevice.Batch("truck-1", 1);
        var zone = batch.Temperatures[0];
        switch (defect)
        {
            case "sequence 0": batch.Sequence = 0; break;
            case "unequal columns": zone.TemperatureC.RemoveAt(2); zone.TemperatureC.RemoveAt(1); zone.OffsetMs.RemoveAt(2); break;
            case "offsets backwards": zone.OffsetMs[1] = 0; zone.OffsetMs[0] = 500; break;
            case "NaN": zone.TemperatureC[0] = float.NaN; break;
            case "latitude 91":
                batch.Gps = new GpsColumns { OffsetMs = { 0 }, LatitudeDeg = { 91 }, LongitudeDeg = { 4 }, SpeedKmh = { 0 }, HeadingDeg = { 0 } };
                break;
            case "from the future": batch.BaseTimeUnixMs = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(); break;
            case "from long ago": batch.BaseTimeUnixMs = DateTimeOffset.UtcNow.AddYears(-2).ToUnixTimeMilliseconds(); break;
            case "one reading 49 days ahead": zone.OffsetMs[2] = 49 * 86_400_000u; break; // issue 12.3: the base time is a minute ago
            case "empty": batch.Temperatures.Clear(); break;
            case "unknown sensor kind": batch.Scalars.Add(new ScalarColumns { OffsetMs = { 0 }, Value = { 1 } }); break;
            case "window summary mean outside":
                zone.Windows = new WindowColumns { StartUnixMs = { batch.BaseTimeUnixMs / 60_000 * 60_000 }, LengthMs = { 60_000 }, Count = { 3 }, Min = { 1f }, Max = { 2f }, Mean = { 7f }, Last = { 2f } };
                break;
            case "another device": batch.DeviceId = "truck-2"; break;
            case "another tenant": batch.TenantId = "someone-else"; break;
            case "oversized":
                for (uint i = 3; i < 20_000; i++)
                {
                    zone.OffsetMs.Add(i * 10);
                    zone.TemperatureC.Add(3);
                }

                break;
            default: throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        return batch;
    }
}
