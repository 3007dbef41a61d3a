using Confluent.Kafka;
using Convoy.FleetHistory.Tenancy;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Store;

/// <summary>
/// Deletes each tenant's history older than its retention from the store, at start and then every
/// <see cref="FleetHistoryOptions.RetentionCheckMinutes"/>. A tenant's own retention (set by its
/// admin) wins over the registry's days for it, which win over the platform's default, kind by kind. The same pass has the store put the
/// closed hours' fixes in track order (<see cref="IFleetStore.CompactTrack"/>), and sets each
/// tenant's topics' retention to match (<see cref="TopicRetention"/>).
/// </summary>
internal sealed class RetentionEnforcer : BackgroundService
{
    private const long DayMs = 86_400_000;
    private readonly IFleetStore _store;
    private readonly FleetHistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RetentionEnforcer> _logger;
    private readonly TopicRetention _topics;

    private readonly TenantSettings _tenants;

    public RetentionEnforcer(IFleetStore store, TopicRetention topics, TenantSettings tenants, IOptions<FleetHistoryOptions> options, TimeProvider time, ILogger<RetentionEnforcer> logger)
    {
        _tenants = tenants;
        _topics = topics;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The days in effect for a tenant: its own where it set them, <paramref name="defaults"/> (the registry's or the platform's) otherwise.</summary>
    public static RetentionDays Effective(RetentionDays? own, RetentionDays defaults) => new(
        own is { Positions: > 0 } o1 ? o1.Positions : defaults.Positions,
        own is { Rollups: > 0 } o2 ? o2.Rollups : defaults.Rollups,
        own is { Alerts: > 0 } o3 ? o3.Alerts : defaults.Alerts);

    /// <summary>The days in effect for the tenant now.</summary>
    public RetentionDays InEffect(string tenant) => Effective(_store.Retention(tenant), _tenants.DefaultRetention(tenant));

    /// <summary>Deletes what is older than the tenant's retention in effect (its own, or <paramref name="defaults"/>) from <paramref name="store"/>.</summary>
    public static RowCounts Apply(IFleetStore store, string tenant, RetentionDays defaults, long nowMs)
    {
        var days = Effective(store.Retention(tenant), defaults);
        return store.ApplyRetention(tenant, nowMs - (days.Positions * DayMs), nowMs - (days.Rollups * DayMs), nowMs - (days.Alerts * DayMs));
    }

    /// <summary>Enforces every tenant's retention once; the rows deleted in all.</summary>
    public long EnforceOnce()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long total = 0;
        foreach (string tenant in _store.Tenants())
        {
            var days = InEffect(tenant);
            var deleted = Apply(_store, tenant, _tenants.DefaultRetention(tenant), now);
            if (deleted.Total > 0)
            {
                FleetHistoryLog.RetentionApplied(_logger, tenant, deleted.Positions, deleted.Rollups, deleted.Alerts, days.Positions, days.Rollups, days.Alerts);
            }

            total += deleted.Total;

            // The same hourly pass puts the closed hours' fixes in track order (where the store needs it).
            var compaction = _store.CompactTrack(tenant, now);
            if (compaction.Moved + compaction.Settled > 0)
            {
                FleetHistoryLog.TrackCompacted(_logger, tenant, compaction.Moved, compaction.Settled);
            }
        }

        return total;
    }

    /// <summary>Sets the tenant's topics' retention to its days in effect now; a Kafka that refuses is logged and tried again at the next pass.</summary>
    public async Task SetTopicsAsync(string tenant)
    {
        var days = InEffect(tenant);
        try
        {
            foreach (string change in await _topics.ApplyAsync(tenant, days))
            {
                FleetHistoryLog.TopicRetentionSet(_logger, tenant, change);
            }
        }
        catch (KafkaException e)
        {
            FleetHistoryLog.TopicRetentionNotSet(_logger, tenant, e.Error.Reason, _options.RetentionCheckMinutes);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(_options.RetentionCheckMinutes), _time);
        do
        {
            try
            {
                await Task.Run(EnforceOnce, stoppingToken);
            }
            catch (StoreUnavailableException e)
            {
                FleetHistoryLog.StoreWriteFailed(_logger, "enforcing retention: " + e.Message, _options.RetentionCheckMinutes * 60_000);
            }

            try
            {
                foreach (string tenant in _store.Tenants())
                {
                    await SetTopicsAsync(tenant);
                }
            }
            catch (StoreUnavailableException e)
            {
                FleetHistoryLog.StoreWriteFailed(_logger, "reading the tenants' retention: " + e.Message, _options.RetentionCheckMinutes * 60_000);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
