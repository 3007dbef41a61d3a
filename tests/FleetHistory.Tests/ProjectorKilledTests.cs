using Convoy.Contracts;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Store.DuckDb;
using Convoy.Kafka.Embedded;
using Xunit.Abstractions;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The projector's process killed (SIGKILL) at random points while it projects — in the middle of
/// folding, of a store transaction, of a commit — again and again, with records arriving all the
/// while: each restart resumes from the store's own positions, and in the end every reading is in
/// the store exactly once.
/// </summary>
public sealed class ProjectorKilledTests(ITestOutputHelper output) : IDisposable
{
    private const string Tenant = "acme";
    private const int Devices = 12;
    private const int Kills = 8;
    private const int BatchesPerDevicePerRun = 15;
    private const int Fixes = 10;
    private const int Temperatures = 20;
    private static readonly long Start = DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
    private readonly TempFolder _folder = new("projector-killed");
    private readonly EmbeddedKafkaCluster _kafka = EmbeddedKafkaCluster.Start();
    private readonly ulong[] _sequences = new ulong[Devices];

    [Fact]
    public async Task KilledAtRandomPoints_ItResumesFromTheStore_WithNoReadingLostOrCountedTwice()
    {
        _kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(Tenant), 3);
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        string store = _folder.File("store");
        for (int run = 1; run <= Kills; run++)
        {
            Produce(BatchesPerDevicePerRun);
            // A group of its own each run, so a killed member's session does not delay the next
            // one: where to resume comes from the store, not from the group.
            using var projector = ProgramProcess.FleetHistory(Arguments(store, $"killed-{run}-{Guid.NewGuid():N}"));
            await Eventually.HoldsAsync(() => projector.Process.HasExited || projector.Output.Contains("PartitionsAssigned", StringComparison.Ordinal) || projector.Output.Contains("Projecting 3 partition", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), $"run {run}: the projector to take its partitions");
            Assert.False(projector.Process.HasExited, $"run {run}: the projector exited by itself:\n{projector.Output}");
            // Records keep arriving while it projects, then it dies at a random point.
            Produce(BatchesPerDevicePerRun);
            await Task.Delay(random.Next(0, 1500));
            projector.Process.Kill();
            await projector.Process.WaitForExitAsync();
            Assert.Equal(137, projector.Process.ExitCode);
        }

        // One last run, left to catch up with everything, then stopped properly.
        using (var last = ProgramProcess.FleetHistory(Arguments(store, "last-" + Guid.NewGuid().ToString("N"))))
        {
            await Eventually.HoldsAsync(() => last.Process.HasExited || CaughtUp(store), TimeSpan.FromSeconds(120), "the last projector to catch up");
            Assert.False(last.Process.HasExited, last.Output);
            last.Process.Kill();
            await last.Process.WaitForExitAsync();
        }

        using var projected = new DuckDbFleetStore(store);
        long batches = (long)BatchesPerDevicePerRun * 2 * Kills;
        for (int d = 0; d < Devices; d++)
        {
            string device = Device(d);
            Assert.Equal((ulong)batches, projected.Sequences(Tenant)[new(device, "")]);
            Assert.Equal(batches * Fixes, projected.Track(Tenant, device, 0, long.MaxValue, long.MinValue, 1_000_000).Count);
            var rollups = projected.Rollups(Tenant, device, "temperature", 1, Resolution.Hour, 0, long.MaxValue, long.MinValue, 1000);
            Assert.Equal(batches * Temperatures, rollups.Sum(r => (long)r.Count));
        }

        output.WriteLine($"{Kills} kills; {Devices} devices x {batches} batches of {Fixes + Temperatures} readings, each in the store exactly once");
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _folder.Dispose();
    }

    private static string Device(int d) => $"truck-{d:00}";

    private List<string> Arguments(string store, string group) =>
    [
        $"--Kafka:BootstrapServers={_kafka.BootstrapServers}",
        $"--FleetHistory:DataFolder={store}",
        $"--FleetHistory:GroupId={group}",
        "--FleetHistory:GrpcPort=0",
        "--FleetHistory:HttpPort=0",
        "--FleetHistory:FlushMilliseconds=20",
        "--FleetHistory:FlushRecords=50",
    ];

    /// <summary>The store holds the last sequence of every device (read while the projector runs: DuckDB lets one process write, so this copy is read-only).</summary>
    private bool CaughtUp(string store)
    {
        string file = Path.Combine(store, Tenant + ".duckdb");
        if (!File.Exists(file))
        {
            return false;
        }

        string copy = _folder.File("check-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            File.Copy(file, Path.Combine(copy, Tenant + ".duckdb"));
            if (File.Exists(file + ".wal"))
            {
                File.Copy(file + ".wal", Path.Combine(copy, Tenant + ".duckdb.wal"));
            }

            using var snapshot = new DuckDbFleetStore(copy);
            var marks = snapshot.Sequences(Tenant);
            return Enumerable.Range(0, Devices).All(d => marks.TryGetValue(new(Device(d), ""), out ulong mark) && mark == _sequences[d]);
        }
        catch (Exception e) when (e is IOException or Store.StoreUnavailableException)
        {
            return false; // copied in the middle of a write: look again
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Writes the next <paramref name="count"/> batches of every device, as the collector writes them.</summary>
    private void Produce(int count)
    {
        var batches = new List<Contracts.Telemetry.V1.TelemetryBatch>();
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < Devices; d++)
            {
                ulong sequence = ++_sequences[d];
                batches.Add(BatchBuilder.For(Device(d), sequence).StartingAt(Start + ((long)sequence * 60_000))
                    .Gps(Fixes, s => 40f + s).Temperatures(1, Temperatures, t => 4f + (t * 0.1f)).Build());
            }
        }

        KafkaTopics.WriteTelemetry(_kafka.BootstrapServers, Tenant, batches);
    }
}
