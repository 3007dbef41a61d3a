using System.Security.Cryptography.X509Certificates;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Convoy.Contracts;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;
using Convoy.Pki;

namespace Convoy.FleetHistory.Tenancy;

/// <summary>
/// Removes a tenant from the platform: its projections from the store, its topics from Kafka, its
/// devices' rule state from the alert engine's state topic (tombstones), and its own device CA
/// from the collector's trust roots file, then checks that nothing of it is left and says what it
/// did. Run it after the tenant is disabled in the collector's registry, so nothing new arrives.
/// </summary>
internal sealed class TenantDeletion
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(30);
    private readonly IFleetStore _store;
    private readonly KafkaCluster _kafka;

    public TenantDeletion(IFleetStore store, KafkaCluster kafka)
    {
        _store = store;
        _kafka = kafka;
    }

    /// <summary>Deletes everything of <paramref name="tenant"/>; the report, line by line.</summary>
    public async Task<DeletionReport> DeleteAsync(string tenant, string stateTopic, string? trustRootsFile)
    {
        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant id (1..63 characters of [a-z0-9-])", nameof(tenant));
        }

        var report = new DeletionReport(tenant);
        var rows = _store.DeleteTenant(tenant);
        report.Add($"store ({_store.Kind}): deleted {rows.Positions} fix(es), {rows.Rollups} rollup(s), {rows.Alerts} alert(s), {rows.Devices} device(s)");
        await DeleteTopicsAsync(tenant, report);
        int tombstones = await ForgetRuleStateAsync(tenant, stateTopic);
        report.Add($"alert engine state ({stateTopic}): {tombstones} device state(s) deleted (tombstones written)");
        if (trustRootsFile is not null)
        {
            report.Add(RevokeAuthority(tenant, trustRootsFile));
        }

        // Check, rather than trust, that nothing is left.
        bool storeClean = !_store.Tenants().Contains(tenant) && _store.FleetState(tenant, [], "", 1).Count == 0;
        int stateLeft = LiveStates(tenant, stateTopic).Count;
        report.Add($"check: {(storeClean ? "no row of the tenant in the store" : "ROWS OF THE TENANT REMAIN in the store")}; " +
            $"{(stateLeft == 0 ? "no rule state of the tenant" : $"{stateLeft} RULE STATE(S) REMAIN")}");
        report.Complete = storeClean && stateLeft == 0;
        return report;
    }

    private async Task DeleteTopicsAsync(string tenant, DeletionReport report)
    {
        string[] topics = [TelemetryRecordHeaders.TelemetryTopic(tenant), TelemetryRecordHeaders.AlertTopic(tenant)];
        if (_kafka.Embedded is not null)
        {
            // librdkafka's mock cluster implements no DeleteTopics; it holds everything in memory and
            // forgets it when its process ends.
            report.Add($"topics {string.Join(", ", topics)}: left in the embedded in-memory cluster, which cannot delete topics; they end with its process");
            return;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var existing = admin.GetMetadata(KafkaTimeout).Topics.Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        var present = topics.Where(existing.Contains).ToList();
        if (present.Count > 0)
        {
            await admin.DeleteTopicsAsync(present, new DeleteTopicsOptions { RequestTimeout = KafkaTimeout, OperationTimeout = KafkaTimeout });
        }

        report.Add($"topics: deleted {(present.Count == 0 ? "none (there were none)" : string.Join(", ", present))}");
    }

    /// <summary>Writes a tombstone for every device of the tenant with a live state in the state topic.</summary>
    private async Task<int> ForgetRuleStateAsync(string tenant, string stateTopic)
    {
        var keys = LiveStates(tenant, stateTopic);
        if (keys.Count == 0)
        {
            return 0;
        }

        using var producer = new ProducerBuilder<byte[], byte[]?>(_kafka.CreateProducerConfig("convoy-tenant-deletion")).Build();
        foreach (byte[] key in keys)
        {
            await producer.ProduceAsync(stateTopic, new Message<byte[], byte[]?> { Key = key, Value = null });
        }

        return keys.Count;
    }

    /// <summary>The keys (tenant NUL device) of the tenant's devices whose newest state record is not a tombstone.</summary>
    private List<byte[]> LiveStates(string tenant, string stateTopic)
    {
        byte[] prefix = [.. Encoding.UTF8.GetBytes(tenant), 0];
        var newest = new Dictionary<string, (byte[] Key, bool Live)>(StringComparer.Ordinal);
        using var reader = new ConsumerBuilder<byte[], byte[]?>(_kafka.CreateReaderConfig("convoy-tenant-deletion")).Build();
        var metadata = reader is null ? null : new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        using (metadata)
        {
            var topic = metadata!.GetMetadata(stateTopic, KafkaTimeout).Topics.FirstOrDefault();
            if (topic is null || topic.Error.IsError || topic.Partitions.Count == 0)
            {
                return [];
            }

            foreach (var partition in topic.Partitions)
            {
                var tp = new TopicPartition(stateTopic, new Partition(partition.PartitionId));
                var ends = reader!.QueryWatermarkOffsets(tp, KafkaTimeout);
                if (ends.High.Value <= ends.Low.Value)
                {
                    continue;
                }

                reader.Assign(new TopicPartitionOffset(tp, ends.Low));
                var deadline = DateTime.UtcNow + KafkaTimeout;
                while (DateTime.UtcNow < deadline)
                {
                    var record = reader.Consume(TimeSpan.FromMilliseconds(200));
                    if (record?.Message is null)
                    {
                        continue;
                    }

                    byte[]? key = record.Message.Key;
                    if (key is not null && key.AsSpan().StartsWith(prefix))
                    {
                        newest[Convert.ToHexString(key)] = (key, record.Message.Value is not null);
                    }

                    if (record.Offset.Value + 1 >= ends.High.Value)
                    {
                        break;
                    }
                }
            }
        }

        return [.. newest.Values.Where(v => v.Live).Select(v => v.Key)];
    }

    /// <summary>Removes the tenant's own CA (URI urn:convoy:tenant:&lt;tenant&gt;) from the trust roots file, replacing the file in one rename.</summary>
    private static string RevokeAuthority(string tenant, string file)
    {
        var kept = new List<X509Certificate2>();
        var removed = new List<string>();
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(file);
        foreach (var certificate in certificates)
        {
            if (DeviceIdentity.TryReadBoundTenant(certificate, out string? bound) && bound == tenant)
            {
                removed.Add(certificate.Subject);
            }
            else
            {
                kept.Add(certificate);
            }
        }

        if (removed.Count == 0)
        {
            return $"trust roots ({file}): no CA of the tenant's own";
        }

        string temporary = file + ".tmp";
        File.WriteAllText(temporary, string.Concat(kept.Select(c => c.ExportCertificatePem() + "\n")));
        File.Move(temporary, file, overwrite: true);
        return $"trust roots ({file}): removed the tenant's CA {string.Join("; ", removed)}: its devices' certificates are refused from now on";
    }
}

/// <summary>What a tenant deletion did, one line per part, and whether its checks found nothing left.</summary>
internal sealed class DeletionReport
{
    public DeletionReport(string tenant) => Tenant = tenant;

    public string Tenant { get; }

    public List<string> Lines { get; } = [];

    public bool Complete { get; set; }

    public void Add(string line) => Lines.Add(line);

    public override string ToString() =>
        $"Deletion of tenant {Tenant}{(Complete ? "" : " (INCOMPLETE)")}:\n" + string.Concat(Lines.Select(l => "  " + l + "\n"));
}
