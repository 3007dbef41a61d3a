using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Issue 12.5: several calls carrying one device's batches at the same time (retries of an upload
/// whose answer was lost, a stream and an upload of the same truck) must write each batch once,
/// whatever the interleaving, and never acknowledge a batch Kafka does not have.
/// </summary>
public sealed class OneDeviceManySendersTests : IAsyncLifetime
{
    private const string Tenant = "many-senders";
    private const int Batches = 40;
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task EightSimultaneousRetriesOfOneUpload_WriteTheBatchOnce_AndAllAreAcknowledged()
    {
        using var device = _collector.Device(Tenant, "truck-retry");
        var request = new UploadRequest { Batches = { TestDevice.Batch("truck-retry", 1) } };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var retries = Enumerable.Range(0, 8).Select(async _ =>
        {
            await start.Task;
            return await device.Client.UploadAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        }).ToList();
        start.SetResult();
        var responses = await Task.WhenAll(retries);

        Assert.All(responses, r => Assert.Equal(1UL, Assert.Single(r.Acks).AckedSequence));
        Assert.Equal([1UL], Sequences("truck-retry"));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(16)]
    public async Task ManyUploadAndStreamSendersOfOneDevice_RandomlyInterleaved_WriteEachBatchAtMostOnce_AndEveryAcknowledgedBatchIsInKafka(int senders)
    {
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        string name = $"truck-{senders}";
        // One content per sequence: a replay carries exactly the bytes of the first send.
        var batches = Enumerable.Range(1, Batches).Select(s => TestDevice.Batch(name, (ulong)s)).ToArray();
        var plans = Enumerable.Range(0, senders).Select(_ => Plan(random)).ToList();
        var devices = plans.Select(_ => _collector.Device(Tenant, name)).ToList(); // a connection each
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = plans.Select(async (plan, i) =>
        {
            await start.Task;
            return plan.Stream ? [await StreamAsync(devices[i], plan, batches)] : await UploadAsync(devices[i], plan, batches);
        }).ToList();
        start.SetResult();
        var calls = (await Task.WhenAll(running)).SelectMany(c => c).ToList();
        devices.ForEach(d => d.Dispose());

        var inKafka = Sequences(name);
        string context = $"(seed {seed}; senders: {string.Join(", ", plans)})";
        var twice = inKafka.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"batches written more than once: {string.Join(", ", twice)} {context}");
        Assert.Contains(calls, c => c.Acked > 0);
        foreach (var call in calls)
        {
            var missing = call.Sent.Where(s => s <= call.Acked && !inKafka.Contains(s)).ToList();
            Assert.True(missing.Count == 0,
                $"{call.What} was acknowledged up to {call.Acked} but Kafka lacks its batches {string.Join(", ", missing)} {context}");
        }
    }

    /// <summary>A sender's share: a run of the device's batches (overlapping the others': replays), by stream or in uploads of 1..4.</summary>
    private static SenderPlan Plan(Random random)
    {
        int first = random.Next(1, Batches + 1);
        int last = Math.Min(Batches, first + random.Next(0, 12));
        return new SenderPlan(random.Next(2) == 0, first, last, random.Next(1, 5));
    }

    /// <summary>One stream: every batch of the run, then the acks until the collector ends the call. A newer stream of the device replaces it (ABORTED): expected here.</summary>
    private static async Task<SentCall> StreamAsync(TestDevice device, SenderPlan plan, TelemetryBatch[] batches)
    {
        using var call = await device.OpenAsync();
        var sent = new List<ulong>();
        try
        {
            for (int s = plan.First; s <= plan.Last; s++)
            {
                await call.RequestStream.WriteAsync(batches[s - 1]);
                sent.Add((ulong)s);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // Ended by the collector while writing: its status is on the response side.
        }

        ulong acked = 0;
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                Assert.True(call.ResponseStream.Current.AckedSequence >= acked, "a stream's acks must never go backwards");
                acked = call.ResponseStream.Current.AckedSequence;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
        {
            // A newer stream of the device took over.
        }

        return new SentCall($"stream {plan}", sent, acked);
    }

    /// <summary>Uploads of consecutive chunks of the run, one after another; each is one call with its own ack.</summary>
    private static async Task<List<SentCall>> UploadAsync(TestDevice device, SenderPlan plan, TelemetryBatch[] batches)
    {
        var calls = new List<SentCall>();
        for (int s = plan.First; s <= plan.Last; s += plan.Chunk)
        {
            var chunk = Enumerable.Range(s, Math.Min(plan.Chunk, plan.Last - s + 1)).Select(i => batches[i - 1]).ToList();
            var response = await device.Client.UploadAsync(new UploadRequest { Batches = { chunk } }, deadline: DateTime.UtcNow.AddSeconds(60));
            calls.Add(new SentCall($"upload {chunk[0].Sequence}..{chunk[^1].Sequence} of {plan}", [.. chunk.Select(b => b.Sequence)],
                Assert.Single(response.Acks).AckedSequence));
        }

        return calls;
    }

    private List<ulong> Sequences(string device) =>
        [.. _collector.Telemetry(Tenant).Where(r => r.Message.Key == device).Select(KafkaTopics.Sequence)];

    private sealed record SenderPlan(bool Stream, int First, int Last, int Chunk)
    {
        public override string ToString() => Stream ? $"stream {First}..{Last}" : $"uploads {First}..{Last} by {Chunk}";
    }

    private sealed record SentCall(string What, List<ulong> Sent, ulong Acked);
}
