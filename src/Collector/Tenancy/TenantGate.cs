using System.Threading.RateLimiting;
using Convoy.Tenancy;
using Grpc.Core;

namespace Convoy.Collector.Tenancy;

/// <summary>
/// One tenant's share of the collector: token buckets for readings and bytes per second, a
/// limit on open streams and one on bytes written to Kafka and not yet confirmed
/// (System.Threading.RateLimiting). Shared by all of the tenant's streams, and by nobody else's.
/// The waits give up on the <see cref="TimeProvider"/> given; the buckets refill on the library's
/// own timer (it measures real elapsed time, even when refilled by hand).
/// </summary>
internal sealed class TenantGate : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TokenBucketRateLimiter _readings;
    private readonly TokenBucketRateLimiter _bytes;
    private readonly ConcurrencyLimiter _streams;
    private readonly ConcurrencyLimiter _inFlight;

    public TenantGate(string tenant, TenantQuota quota, TimeProvider time)
    {
        Tenant = tenant;
        Quota = quota;
        _time = time;
        _readings = Bucket(quota.ReadingsPerSecond, quota.BurstSeconds);
        _bytes = Bucket(quota.BytesPerSecond, quota.BurstSeconds);
        _streams = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = quota.MaxStreams, QueueLimit = 0 });
        _inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = quota.MaxInFlightBytes,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public string Tenant { get; }

    public TenantQuota Quota { get; }

    /// <summary>A stream slot, or null when the tenant already has its maximum open.</summary>
    public RateLimitLease? OpenStream()
    {
        var lease = _streams.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    /// <summary>
    /// Takes a batch's readings and bytes from the buckets, waiting (and so not reading the
    /// stream) up to the quota's MaxWait. Null when admitted; otherwise the refusal, with the
    /// delay after which the device should try again.
    /// </summary>
    public async ValueTask<(Status Status, TimeSpan RetryAfter, string Reason)?> AdmitAsync(int readings, int bytes, CancellationToken cancellationToken)
    {
        var refusal = await TakeAsync(_readings, readings, "readings", Quota.ReadingsPerSecond, cancellationToken);
        return refusal ?? await TakeAsync(_bytes, bytes, "bytes", Quota.BytesPerSecond, cancellationToken);
    }

    /// <summary>
    /// Holds <paramref name="bytes"/> of the tenant's allowance of bytes in flight to Kafka until
    /// the lease is disposed (when Kafka confirmed or refused the batch), waiting (and so not
    /// reading the stream) up to the quota's MaxWait. Null when the tenant's earlier writes did
    /// not land in that time: a tenant's slow or huge backlog queues behind its own allowance,
    /// never in the producer queue every tenant shares.
    /// </summary>
    public async ValueTask<RateLimitLease?> HoldInFlightAsync(long bytes, CancellationToken cancellationToken)
    {
        // A batch larger than the whole allowance waits until nothing else of the tenant is in flight.
        int permits = (int)Math.Clamp(bytes, 1, Quota.MaxInFlightBytes);
        var now = _inFlight.AttemptAcquire(permits);
        if (now.IsAcquired)
        {
            return now;
        }

        now.Dispose();
        using var timeout = new CancellationTokenSource(Quota.MaxWait, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var lease = await _inFlight.AcquireAsync(permits, wait.Token);
            if (lease.IsAcquired)
            {
                return lease;
            }

            lease.Dispose();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Waited as long as the quota allows.
        }

        return null;
    }

    /// <summary>Why <see cref="HoldInFlightAsync"/> gave up, and when to try again.</summary>
    public (Status Status, TimeSpan RetryAfter, string Reason) InFlightRefusal() =>
        (new Status(StatusCode.ResourceExhausted,
            $"tenant {Tenant} already has {Quota.MaxInFlightBytes} bytes on their way to Kafka (its in-flight quota) and Kafka is not confirming them fast enough; " +
            "send again after the retry delay"), TimeSpan.FromSeconds(1), RefusalReasons.OverInFlightQuota);

    private async ValueTask<(Status, TimeSpan, string)?> TakeAsync(TokenBucketRateLimiter bucket, int permits, string what, double perSecond, CancellationToken cancellationToken)
    {
        // Before asking the bucket: it throws for more tokens than it can ever hold.
        long limit = TokenLimit(perSecond, Quota.BurstSeconds);
        if (permits > limit)
        {
            return (new Status(StatusCode.ResourceExhausted,
                $"a batch of {permits} {what} is more than tenant {Tenant} may send at once ({limit}); split it into smaller batches"), TimeSpan.Zero,
                RefusalReasons.BatchOverBurst);
        }

        using (var now = bucket.AttemptAcquire(permits))
        {
            if (now.IsAcquired)
            {
                return null;
            }
        }

        using var timeout = new CancellationTokenSource(Quota.MaxWait, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var lease = await bucket.AcquireAsync(permits, wait.Token);
            if (lease.IsAcquired)
            {
                return null;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Waited as long as the quota allows.
        }

        var retryAfter = TimeSpan.FromSeconds(Math.Max(0.1, permits / perSecond));
        return (new Status(StatusCode.ResourceExhausted,
            $"tenant {Tenant} is over its quota of {perSecond:0} {what}/s; slow down and send again after {retryAfter.TotalMilliseconds:0} ms"), retryAfter,
            what == "readings" ? RefusalReasons.OverReadingsQuota : RefusalReasons.OverBytesQuota);
    }

    /// <summary>
    /// A bucket of <paramref name="perSecond"/> tokens a second, refilled about ten times a second
    /// (less often for rates under ten a second, so that the rate is exact rather than rounded up).
    /// </summary>
    private static TokenBucketRateLimiter Bucket(double perSecond, double burstSeconds)
    {
        int tokensPerPeriod = Math.Max(1, (int)Math.Ceiling(perSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = (int)TokenLimit(perSecond, burstSeconds),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / perSecond),
            AutoReplenishment = true,
            QueueLimit = (int)TokenLimit(perSecond, burstSeconds),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    private static long TokenLimit(double perSecond, double burstSeconds) => (long)Math.Clamp(perSecond * burstSeconds, 1, int.MaxValue);

    public void Dispose()
    {
        _readings.Dispose();
        _bytes.Dispose();
        _streams.Dispose();
        _inFlight.Dispose();
    }
}
