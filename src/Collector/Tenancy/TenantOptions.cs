using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tenancy;

/// <summary>
/// The tenant registry: which companies may send, and how much. Read from the JSON file named
/// by <c>Collector:TenantsFile</c> (followed on disk, checked by <see cref="TenantRegistryOptionsValidator"/>);
/// without a file every authenticated tenant is admitted with the <see cref="Default"/> quota.
/// </summary>
/// <example>
/// { "Open": false,
///   "Default": { "ReadingsPerSecond": 100000 },
///   "Tenants": { "acme": { "DisplayName": "ACME Cold Chain", "Quota": { "ReadingsPerSecond": 50000, "MaxStreams": 500 } } } }
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
internal sealed class TenantRegistryOptionsValidator : IValidateOptions<TenantRegistryOptions>
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
