using Microsoft.Extensions.Options;

namespace Convoy.Tenancy;

/// <summary>
/// The tenant registry: which companies are on the platform, how much each may send, how long its
/// history is kept and how its projections are stored. Read from one JSON file
/// (<see cref="TenantRegistryFile"/>, checked by <see cref="TenantRegistryOptionsValidator"/>) that
/// the collector (<c>Collector:TenantsFile</c>) and the fleet history program
/// (<c>FleetHistory:TenantsFile</c>) both follow; without a file every authenticated tenant is
/// admitted with the <see cref="Default"/> quota and the platform's retention and isolation.
/// </summary>
/// <example>
/// { "Open": false,
///   "Default": { "ReadingsPerSecond": 100000 },
///   "Tenants": { "acme": { "DisplayName": "ACME Cold Chain", "Quota": { "ReadingsPerSecond": 50000, "MaxStreams": 500 },
///                          "Retention": { "PositionsDays": 30 }, "Store": { "Isolation": "SharedTables" } } } }
/// </example>
public sealed class TenantRegistryOptions
{
    /// <summary>Admit tenants that are not listed, with the <see cref="Default"/> quota. True without a file.</summary>
    public bool Open { get; set; }

    /// <summary>Quota of a tenant that is listed without one, or admitted because the registry is open.</summary>
    public TenantQuota Default { get; set; } = new();

    public Dictionary<string, TenantOptions> Tenants { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Checks a tenant registry: every key of the file that is wrong, each named with its tenant
/// (<c>Tenant registry 'Tenants:acme:Quota:ReadingsPerSecond' must be at least 1, was -5.</c>).
/// Hand-written rather than generated: the keys hold the tenant ids, which no attribute can name.
/// </summary>
public sealed class TenantRegistryOptionsValidator : IValidateOptions<TenantRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, TenantRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        options.Default.Check("Default", failures);
        foreach (var (id, tenant) in options.Tenants)
        {
            if (!Pki.DeviceIdentity.IsValidTenant(id))
            {
                failures.Add(Invalid($"Tenants:{id}", "is not a tenant id (1..63 characters of [a-z0-9-])"));
            }

            tenant.Quota?.Check($"Tenants:{id}:Quota", failures);
            tenant.Topic?.Check($"Tenants:{id}:Topic", failures);
            tenant.Retention?.Check($"Tenants:{id}:Retention", failures);
            tenant.Store?.Check($"Tenants:{id}:Store", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static string Invalid(string key, string reason) => $"Tenant registry '{key}' {reason}.";
}

public sealed class TenantOptions
{
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>A disabled tenant's devices are refused (PERMISSION_DENIED) until it is enabled again.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>This tenant's quota; the registry's default when absent.</summary>
    public TenantQuota? Quota { get; set; }

    /// <summary>How the tenant's topic <c>telemetry.&lt;tenant&gt;</c> is created on first use; Kafka:TopicPartitions and Kafka:TopicReplicationFactor when absent.</summary>
    public TenantTopic? Topic { get; set; }

    /// <summary>How long the tenant's history is kept; the platform's <c>FleetHistory:Retention</c> for each kind not set.</summary>
    public TenantRetention? Retention { get; set; }

    /// <summary>How the tenant's projections are stored; the platform's settings when absent.</summary>
    public TenantStore? Store { get; set; }
}

/// <summary>
/// Days of a tenant's history kept, per kind, in the fleet history store and on its topics. A kind
/// not set (or 0) keeps the platform's default (<c>FleetHistory:Retention</c>); the tenant's admin
/// may set its own over both (SetRetention).
/// </summary>
public sealed class TenantRetention
{
    /// <summary>The longest retention a registry or an admin may set, in days (ten years).</summary>
    public const int MaxDays = 3660;

    /// <summary>GPS fixes (tracks).</summary>
    public int PositionsDays { get; set; }

    /// <summary>1-minute and 1-hour rollups, and so the daily report.</summary>
    public int RollupsDays { get; set; }

    /// <summary>Resolved alerts, by start time.</summary>
    public int AlertsDays { get; set; }

    internal void Check(string key, List<string> failures)
    {
        foreach (var (name, days) in new[] { ("PositionsDays", PositionsDays), ("RollupsDays", RollupsDays), ("AlertsDays", AlertsDays) })
        {
            if (days is < 0 or > MaxDays)
            {
                failures.Add(TenantRegistryOptionsValidator.Invalid($"{key}:{name}", $"must be 1..{MaxDays} days, or 0 for the platform's default, was {days}"));
            }
        }
    }
}

/// <summary>How a tenant's projections are kept in the fleet history store.</summary>
public sealed class TenantStore
{
    /// <summary>
    /// On ClickHouse: a database of the tenant's own, or the tables every such tenant shares;
    /// <c>FleetHistory:ClickHouse:Isolation</c> when absent. Chosen when the tenant's first
    /// projection is written: a tenant whose projections exist stays where they are until they are
    /// rebuilt (<c>rebuild</c>). The embedded store always keeps a file per tenant.
    /// </summary>
    public ClickHouseIsolation? Isolation { get; set; }

    internal void Check(string key, List<string> failures)
    {
        if (Isolation is { } isolation && !Enum.IsDefined(isolation))
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":Isolation", $"must be DatabasePerTenant or SharedTables, was {isolation}"));
        }
    }
}

/// <summary>
/// A tenant's telemetry topic settings, used when the collector creates the topic (on first use,
/// when Kafka:CreateTopics is on or with the embedded cluster); an existing topic is not changed.
/// Not used in the shared-topic mode.
/// </summary>
public sealed class TenantTopic
{
    /// <summary>Partitions, 1..10000: the tenant's parallelism in the alert engine.</summary>
    public int? Partitions { get; set; }

    /// <summary>Replication factor, >= 1; -1 takes the broker's default.</summary>
    public short? ReplicationFactor { get; set; }

    internal void Check(string key, List<string> failures)
    {
        if (Partitions is < 1 or > 10000)
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":Partitions", $"must be 1..10000, was {Partitions}"));
        }

        if (ReplicationFactor is 0 or < -1)
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":ReplicationFactor", $"must be -1 (broker default) or >= 1, was {ReplicationFactor}"));
        }
    }
}

/// <summary>What one tenant may take of a collector, so that no tenant can starve another.</summary>
public sealed class TenantQuota
{
    /// <summary>Sustained readings per second (token bucket).</summary>
    public double ReadingsPerSecond { get; set; } = 5_000_000;

    /// <summary>Sustained bytes of batches per second (token bucket).</summary>
    public double BytesPerSecond { get; set; } = 512 * 1024 * 1024;

    /// <summary>How many seconds of the sustained rates may arrive at once (bucket size).</summary>
    public double BurstSeconds { get; set; } = 2;

    /// <summary>Device streams open at once.</summary>
    public int MaxStreams { get; set; } = 100_000;

    /// <summary>
    /// Bytes of this tenant's batches written to Kafka and not yet confirmed, across all its
    /// streams. Bounds what one tenant can put in the producer queue every tenant shares, so a
    /// tenant whose topic is slow cannot delay the others' writes.
    /// </summary>
    public int MaxInFlightBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long a stream over quota is slowed (the collector stops reading it, so HTTP/2 flow
    /// control holds the device back) before it is refused with RESOURCE_EXHAUSTED and a retry delay.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(2);

    internal void Check(string key, List<string> failures)
    {
        if (!(ReadingsPerSecond >= 1))
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":ReadingsPerSecond", $"must be at least 1, was {ReadingsPerSecond}"));
        }

        if (!(BytesPerSecond >= 1024))
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":BytesPerSecond", $"must be at least 1024, was {BytesPerSecond}"));
        }

        if (!(BurstSeconds is >= 0.1 and <= 3600))
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":BurstSeconds", $"must be 0.1..3600, was {BurstSeconds}"));
        }

        if (MaxStreams < 1)
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":MaxStreams", $"must be at least 1, was {MaxStreams}"));
        }

        if (MaxInFlightBytes < 64 * 1024)
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":MaxInFlightBytes", $"must be at least 65536, was {MaxInFlightBytes}"));
        }

        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromMinutes(1))
        {
            failures.Add(TenantRegistryOptionsValidator.Invalid(key + ":MaxWait", $"must be 0..1 minute, was {MaxWait}"));
        }
    }
}
