using Convoy.Collector.Tenancy;
using Convoy.Tenancy;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.Collector.Tests;

/// <summary>
/// A tenant's share of the collector. Waits give up on a fake clock, only when the test moves it;
/// the rates are low enough (a token a second) that the buckets' real-time refill never decides a test.
/// </summary>
public sealed class TenantGateUnitTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly List<TenantGate> _gates = [];

    [Fact]
    public void OpenStream_UpToMaxStreams_ThenRefused_UntilOneCloses()
    {
        var gate = Gate(new TenantQuota { MaxStreams = 2 });
        using var first = gate.OpenStream();
        var second = gate.OpenStream();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(gate.OpenStream());
        second.Dispose();
        using var third = gate.OpenStream();
        Assert.NotNull(third);
    }

    [Fact]
    public async Task AdmitAsync_WithinTheBurst_AdmitsAtOnce()
    {
        var gate = Gate(new TenantQuota { ReadingsPerSecond = 100, BurstSeconds = 1 });

        Assert.Null(await gate.AdmitAsync(100, 1000, CancellationToken.None));
    }

    [Fact]
    public async Task AdmitAsync_BatchLargerThanTheBurst_IsRefusedAtOnce_SayingToSplitIt()
    {
        var gate = Gate(new TenantQuota { ReadingsPerSecond = 100, BurstSeconds = 1 });

        var refused = await gate.AdmitAsync(101, 1000, CancellationToken.None);

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.Value.Status.StatusCode);
        Assert.Equal("batch-over-burst", refused.Value.Reason);
        Assert.Contains("split it into smaller batches", refused.Value.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdmitAsync_OverTheRateForLongerThanMaxWait_IsRefusedWithARetryDelay()
    {
        var gate = Gate(new TenantQuota { ReadingsPerSecond = 1, BurstSeconds = 10, MaxWait = TimeSpan.FromSeconds(2) });
        Assert.Null(await gate.AdmitAsync(10, 100, CancellationToken.None));

        var waiting = gate.AdmitAsync(10, 100, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted); // waiting (the stream is not read meanwhile)
        _time.Advance(TimeSpan.FromSeconds(2));
        var refused = await waiting;

        Assert.NotNull(refused);
        Assert.Equal("over-readings-quota", refused.Value.Reason);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.Value.RetryAfter); // 10 readings at 1 a second
        Assert.Contains("over its quota of 1 readings/s", refused.Value.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdmitAsync_OverTheByteRate_IsRefusedForBytes()
    {
        var gate = Gate(new TenantQuota { BytesPerSecond = 1024, BurstSeconds = 1, MaxWait = TimeSpan.Zero });
        Assert.Null(await gate.AdmitAsync(1, 1024, CancellationToken.None));

        var refused = await gate.AdmitAsync(1, 512, CancellationToken.None);

        Assert.Equal("over-bytes-quota", refused?.Reason);
    }

    [Fact]
    public async Task HoldInFlightAsync_AllowanceTaken_WaitsUntilAWriteIsAnswered()
    {
        var gate = Gate(new TenantQuota { MaxInFlightBytes = 65536 });
        var first = await gate.HoldInFlightAsync(65536, CancellationToken.None);
        Assert.NotNull(first);

        var second = gate.HoldInFlightAsync(1000, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        first.Dispose(); // Kafka answered the first write

        using var lease = await second;
        Assert.NotNull(lease);
    }

    [Fact]
    public async Task HoldInFlightAsync_NotAnsweredWithinMaxWait_GivesUp_WithARefusalToRetryLater()
    {
        var gate = Gate(new TenantQuota { MaxInFlightBytes = 65536, MaxWait = TimeSpan.FromSeconds(2) });
        using var first = await gate.HoldInFlightAsync(65536, CancellationToken.None);

        var second = gate.HoldInFlightAsync(1000, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Null(await second);
        var (status, retryAfter, reason) = gate.InFlightRefusal();
        Assert.Equal(StatusCode.ResourceExhausted, status.StatusCode);
        Assert.Equal("over-in-flight-quota", reason);
        Assert.True(retryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task HoldInFlightAsync_BatchLargerThanTheWholeAllowance_GoesAloneInsteadOfNever()
    {
        var gate = Gate(new TenantQuota { MaxInFlightBytes = 65536 });

        using var lease = await gate.HoldInFlightAsync(1_000_000, CancellationToken.None);

        Assert.NotNull(lease);
    }

    public void Dispose()
    {
        foreach (var gate in _gates)
        {
            gate.Dispose();
        }
    }

    private TenantGate Gate(TenantQuota quota)
    {
        var gate = new TenantGate("acme", quota, _time);
        _gates.Add(gate);
        return gate;
    }
}
