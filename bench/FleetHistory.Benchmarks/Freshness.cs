using System.Collections.Concurrent;
using System.Diagnostics;
using Convoy.Contracts.Fleet.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.TestKit;
using Grpc.Core;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// How fresh the read side is: a truck's batch goes through the real collector (mutual TLS, the
/// embedded Kafka's ack), and the time from the collector's ack to the moment the batch's reading
/// arrives on an open WatchFleet stream — what the tenant console pushes to the browser — is taken,
/// one batch at a time, for <see cref="Settings.Queries"/> batches.
/// </summary>
internal static class Freshness
{
    private const int Trucks = 10;

    public static async Task RunAsync(Settings settings)
    {
        using var folder = new TempFolder("freshness");
        using var issuer = new TestPartner(folder.File("issuer"));
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme"] });
        // The read side as it ships: its default flush interval, not the tests' short one.
        await using var history = await TestFleetHistory.StartAsync(collector.Kafka, issuer, null, $"--FleetHistory:FlushMilliseconds={new FleetHistoryOptions().FlushMilliseconds}");
        var headers = TestPartner.Bearer(TestFleetHistory.Token(issuer, "acme"));
        var seen = new ConcurrentDictionary<(string Device, long LastSeen), long>();
        using var stop = new CancellationTokenSource();
        using var watch = history.Client().WatchFleet(new WatchFleetRequest(), headers, cancellationToken: stop.Token);
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in watch.ResponseStream.ReadAllAsync(stop.Token))
                {
                    long now = Stopwatch.GetTimestamp();
                    foreach (var device in change.Devices)
                    {
                        seen.TryAdd((device.DeviceId, device.LastSeenUnixMs), now);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is RpcException { StatusCode: StatusCode.Cancelled })
            {
            }
        });

        var devices = Enumerable.Range(0, Trucks).Select(i => collector.Device("acme", $"truck-{i:D2}")).ToArray();
        var latencies = new List<double>();
        int batches = settings.Queries;
        for (int i = 0; i < batches + 10; i++)
        {
            string truck = $"truck-{i % Trucks:D2}";
            long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            TelemetryBatch batch = BatchBuilder.For(truck, (ulong)(i + 1)).StartingAt(at).Every(TimeSpan.FromSeconds(1))
                .Gps(10, static _ => 60f, _ => (52.0, 4.9)).Temperatures(1, 10, static _ => 4f);
            long lastReading = at + 9_000;
            await devices[i % Trucks].SendAsync(batch);
            long acked = Stopwatch.GetTimestamp();
            long arrived = 0;
            var deadline = Stopwatch.StartNew();
            while (!seen.TryGetValue((truck, lastReading), out arrived) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(1);
            }

            if (arrived == 0)
            {
                throw new InvalidOperationException($"batch {i + 1} of {truck} never reached the watch");
            }

            if (i >= 10)
            {
                // The first ten warm the connections up.
                latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(acked, arrived).TotalMilliseconds));
            }
        }

        await stop.CancelAsync();
        await reader;
        foreach (var device in devices)
        {
            device.Dispose();
        }

        latencies.Sort();
        Console.WriteLine($"freshness, ack -> watch ({batches} batches, one at a time, FlushMilliseconds {new FleetHistoryOptions().FlushMilliseconds}): " +
            $"p50 {Percentile(latencies, 0.50):0} ms, p99 {Percentile(latencies, 0.99):0} ms, max {latencies[^1]:0} ms");
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
