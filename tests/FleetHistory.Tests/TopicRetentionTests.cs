using System.Reflection;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// A tenant's retention set on its topics as <c>retention.ms</c>. The embedded cluster has no topic
/// configuration (no controller), so the Apache Kafka path is driven here through an admin client
/// that answers as a broker would and records what it was asked to change.
/// </summary>
public sealed class TopicRetentionTests
{
    [Fact]
    public void TheTelemetryTopic_KeepsTheLongerOfFixesAndRollups_AndTheAlertTopicTheAlertsDays()
    {
        var wanted = TopicRetention.Wanted("acme", RetentionEnforcer.Effective(new RetentionDays(30, 0, 400), new RetentionDays(90, 730, 365)));

        Assert.Equal(730L * 86_400_000, wanted["telemetry.acme"]); // rollups by default: 730 days
        Assert.Equal(400L * 86_400_000, wanted["alerts.acme"]);
        Assert.Equal(45L * 86_400_000, TopicRetention.Wanted("acme", new RetentionDays(45, 10, 5))["telemetry.acme"]);
    }

    [Fact]
    public async Task OnlyTheTenantsExistingTopicsWhoseRetentionDiffers_AreChanged()
    {
        var broker = DispatchProxy.Create<IAdminClient, FakeBroker>();
        var fake = (FakeBroker)(object)broker;
        fake.Topics["telemetry.acme"] = "604800000"; // 7 days: to change
        fake.Topics["telemetry.globex"] = "1";       // another tenant's: never asked about
        var retention = new TopicRetention(() => broker);

        var done = await retention.ApplyAsync("acme", new RetentionDays(30, 60, 400));

        // alerts.acme does not exist (nothing alerted yet): not created, not changed.
        Assert.Equal(["telemetry.acme: retention.ms 604800000 -> 5184000000 (60 days)"], done);
        Assert.Equal("5184000000", fake.Topics["telemetry.acme"]);
        Assert.Equal("1", fake.Topics["telemetry.globex"]);
        Assert.Equal(["telemetry.acme"], fake.Described);

        // Already right: nothing to change.
        Assert.Empty(await retention.ApplyAsync("acme", new RetentionDays(30, 60, 400)));
    }

    [Fact]
    public async Task OnTheEmbeddedCluster_NothingIsSet()
    {
        var retention = new TopicRetention(admin: null);

        Assert.Empty(await retention.ApplyAsync("acme", new RetentionDays(30, 60, 400)));
    }

    /// <summary>A broker's answers to the three admin calls TopicRetention makes; any other call fails the test.</summary>
    public class FakeBroker : DispatchProxy
    {
        public Dictionary<string, string> Topics { get; } = new(StringComparer.Ordinal);

        public List<string> Described { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod!.Name)
            {
                case nameof(IAdminClient.GetMetadata) when args!.Length == 1:
                    return new Metadata([], [.. Topics.Keys.Select(t => new TopicMetadata(t, [new PartitionMetadata(0, 1, [1], [1], new Error(ErrorCode.NoError))], new Error(ErrorCode.NoError)))], 1, "fake");
                case nameof(IAdminClient.DescribeConfigsAsync):
                    var resources = (IEnumerable<ConfigResource>)args![0]!;
                    Described.AddRange(resources.Select(r => r.Name));
                    return Task.FromResult(resources.Select(r => new DescribeConfigsResult
                    {
                        ConfigResource = r,
                        Entries = new Dictionary<string, ConfigEntryResult> { ["retention.ms"] = new() { Name = "retention.ms", Value = Topics[r.Name] } },
                    }).ToList());
                case nameof(IAdminClient.IncrementalAlterConfigsAsync):
                    foreach (var (resource, entries) in (Dictionary<ConfigResource, List<ConfigEntry>>)args![0]!)
                    {
                        var entry = Assert.Single(entries);
                        Assert.Equal((TopicRetention.RetentionMs, AlterConfigOpType.Set), (entry.Name, entry.IncrementalOperation));
                        Topics[resource.Name] = entry.Value;
                    }

                    return Task.FromResult(new List<IncrementalAlterConfigsResult>());
                case nameof(IDisposable.Dispose):
                    return null;
                default:
                    throw new InvalidOperationException($"TopicRetention is not expected to call {targetMethod.Name}");
            }
        }
    }
}
