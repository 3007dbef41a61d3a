using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Upload, the many-batches call, against a real collector and Kafka: all or nothing, so a request
/// the collector refuses leaves nothing in Kafka and nothing remembered.
/// </summary>
public sealed class UploadTests : IAsyncLifetime
{
    private const string Tenant = "uploads";
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task Upload_ADevicesSequenceGoingBackwards_IsInvalidArgumentNamingBothBatches_AndNothingIsWritten()
    {
        using var device = _collector.Device(Tenant, "truck-1");

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(device, TestDevice.Batch("truck-1", 6), TestDevice.Batch("truck-1", 5)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("batches[1]: sequence 5 of device truck-1 does not follow sequence 6 (batches[0])", error.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith("nothing was written", error.Status.Detail, StringComparison.Ordinal);
        await NothingWasWrittenOrRememberedAsync(device, "truck-1", 5, 6);
    }

    [Fact]
    public async Task Upload_TheSameSequenceTwiceWithDifferentReadings_IsInvalidArgument_AndNothingIsWritten()
    {
        using var device = _collector.Device(Tenant, "truck-2");
        var first = TestDevice.Batch("truck-2", 3);
        var impostor = TestDevice.Batch("truck-2", 3);
        impostor.Temperatures[0].TemperatureC[0] = 11.5f;

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(device, first, impostor));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("batches[1]: sequence 3 of device truck-2 appears twice in the upload (batches[0] and batches[1])", error.Status.Detail, StringComparison.Ordinal);
        await NothingWasWrittenOrRememberedAsync(device, "truck-2", 3, 4);
    }

    /// <summary>The topic holds nothing of the device, and the same sequences in order are written afterwards (they were not remembered as sent).</summary>
    private async Task NothingWasWrittenOrRememberedAsync(TestDevice device, string name, ulong low, ulong high)
    {
        Assert.DoesNotContain(_collector.Telemetry(Tenant), r => r.Message.Key == name);

        var response = await UploadAsync(device, TestDevice.Batch(name, low), TestDevice.Batch(name, high));

        Assert.Equal(high, Assert.Single(response.Acks).AckedSequence);
        Assert.Equal([low, high], _collector.Telemetry(Tenant).Where(r => r.Message.Key == name).Select(KafkaTopics.Sequence).Order());
    }

    private static async Task<UploadResponse> UploadAsync(TestDevice device, params TelemetryBatch[] batches) =>
        await device.Client.UploadAsync(new UploadRequest { Batches = { batches } }, deadline: DateTime.UtcNow.AddSeconds(30));
}
