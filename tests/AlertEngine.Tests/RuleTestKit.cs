using Convoy.AlertEngine.Evaluation;
using Convoy.AlertEngine.Rules;
using Convoy.AlertEngine.Rules.Files;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.AlertEngine.Tests;

/// <summary>Builds an evaluator from a rule file's text and batches to feed it, for the rule-kind and lateness tests.</summary>
internal sealed class RuleTestKit
{
    public const long Base = 1_700_000_000_000;

    public RuleTestKit(string yaml, TimeSpan lateness = default, string tenant = "acme")
    {
        Tenant = tenant;
        Catalog = new RuleCatalog(new TenantRules("options", []));
        Reload(yaml);
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Base));
        Evaluator = new BatchEvaluator(Catalog, Time, lateness);
    }

    /// <summary>Replaces the tenant's rules with a new text of its file, as a reload of the rules folder does.</summary>
    public void Reload(string yaml)
    {
        var errors = new List<string>();
        var rules = RuleFileReader.Parse(yaml, json: false, $"rules/{Tenant}.yaml", errors);
        Assert.Empty(errors);
        Catalog.Replace(new Dictionary<string, TenantRules> { [Tenant] = rules! });
    }

    public RuleCatalog Catalog { get; }

    public FakeTimeProvider Time { get; }

    public BatchEvaluator Evaluator { get; }

    public string Tenant { get; }

    public List<Alert> Alerts { get; } = [];

    public List<RecordPosition> Released { get; } = [];

    private readonly Dictionary<string, ulong> _sequences = [];

    /// <summary>Offers a batch as its device's next sequence, returning its outcome; alerts collect in <see cref="Alerts"/>.</summary>
    public BatchOutcome Send(TelemetryBatch batch, long offset = 0)
    {
        batch.Sequence = _sequences[batch.DeviceId] = _sequences.GetValueOrDefault(batch.DeviceId) + 1;
        return Evaluator.Offer(Tenant, batch.ToByteArray(), new RecordPosition("telemetry." + Tenant, 0, offset), Alerts, Released, out _, out _,
            new RecordSource(ReceivedAtMs: ReceivedAt(batch)));
    }

    /// <summary>
    /// Offers a batch as <paramref name="sender"/> wrote it (convoy-sender; null = the device itself),
    /// with the sequence it gave it, received at <paramref name="receivedAtMs"/> (default: <see cref="ReceivedAt"/>).
    /// </summary>
    public BatchOutcome SendAs(string? sender, ulong sequence, TelemetryBatch batch, long offset = 0, long? receivedAtMs = null)
    {
        batch.Sequence = sequence;
        return Evaluator.Offer(Tenant, batch.ToByteArray(), new RecordPosition("telemetry." + Tenant, 0, offset), Alerts, Released, out _, out _,
            new RecordSource(sender, receivedAtMs ?? ReceivedAt(batch)));
    }

    /// <summary>
    /// When a collector would have stamped the batch received: now on the test's clock, or its newest
    /// reading if that is later (the tests replay hours of readings without moving the clock).
    /// </summary>
    public long ReceivedAt(TelemetryBatch batch)
    {
        long newest = batch.BaseTimeUnixMs + new[]
        {
            batch.Gps?.OffsetMs.LastOrDefault() ?? 0, batch.Fuel?.OffsetMs.LastOrDefault() ?? 0,
            batch.Temperatures.Select(t => t.OffsetMs.LastOrDefault()).DefaultIfEmpty().Max(),
            batch.Scalars.Select(c => c.OffsetMs.LastOrDefault()).DefaultIfEmpty().Max(),
        }.Max();
        return Math.Max(Time.GetUtcNow().ToUnixTimeMilliseconds(), newest);
    }

    public static TelemetryBatch Empty(string device, long baseMs) => new() { DeviceId = device, BaseTimeUnixMs = baseMs };

    /// <summary>One reading a minute from minute <paramref name="fromMinute"/>, values from <paramref name="value"/>(minute).</summary>
    public static TelemetryBatch Temperatures(string device, int fromMinute, int minutes, Func<int, float> value, uint zone = 1) =>
        Minutes(device, fromMinute).Temperatures(zone, minutes, m => value(fromMinute + m));

    public static TelemetryBatch Gps(string device, int fromMinute, int minutes, Func<int, float> speed, Func<int, (double Lat, double Lon)>? where = null) =>
        Minutes(device, fromMinute).Gps(minutes, m => speed(fromMinute + m), m => where?.Invoke(fromMinute + m) ?? (52.5, 4.9));

    public static TelemetryBatch Scalar(string device, ScalarKind kind, int fromMinute, int minutes, Func<int, float> value) =>
        Minutes(device, fromMinute).Scalar(kind, minutes, m => value(fromMinute + m));

    /// <summary>A batch of one reading a minute from minute <paramref name="fromMinute"/>; <see cref="Send"/> numbers it.</summary>
    private static BatchBuilder Minutes(string device, int fromMinute) =>
        BatchBuilder.For(device, sequence: 0).StartingAt(Base + (fromMinute * 60_000L)).Every(TimeSpan.FromMinutes(1));

    public static long Minute(int m) => Base + (m * 60_000L);
}
