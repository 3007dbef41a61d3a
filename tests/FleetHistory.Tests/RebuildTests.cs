using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// StartRebuild on a running read side: a new version of the tenant's projections is built from
/// its topics beside the live one, which keeps answering and taking records, and replaces it whole;
/// no record is lost or counted twice across the switch, and only an admin of the tenant may ask.
/// </summary>
public sealed class RebuildTests() : ReadSideTest("fleet-rebuild")
{
    private static readonly long Start = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;

    [Fact]
    public async Task ARebuildFromTheBeginning_ReplacesAWrongProjection_WhileRecordsKeepComing_AndCountsEveryReadingOnce()
    {
        var client = History.Client();
        Write(1, 5);
        KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, "globex", [BatchBuilder.For("van-1", 1).StartingAt(Start).Temperatures(1, 3f).Build()]);
        await ProjectedAsync(5);
        await Eventually.ReturnsAsync(() => client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("globex")).ResponseAsync,
            static s => s.Devices.Count == 1, Eventually.DefaultTimeout, "globex's van projected");
        // What a projection bug would have left: a truck that never sent anything, and readings counted twice.
        var store = History.App.Services.GetRequiredService<IFleetStore>();
        var wrong = new TenantChanges("acme");
        Assert.True(TelemetryFold.TryApply(wrong, "ghost-truck", BatchBuilder.For("ghost-truck", 1).StartingAt(Start).Temperatures(1, 40f).Build().ToByteArray(), out _, out _));
        Assert.True(TelemetryFold.TryApply(wrong, "truck-1", Batch(1).ToByteArray(), out _, out _));
        store.Write(wrong);
        Assert.Equal(60ul, await ReadingsAsync(client)); // 5 x 10, and batch 1 again

        var started = await client.StartRebuildAsync(new StartRebuildRequest { FromBeginning = true }, Caller("acme", "admin"));
        Assert.Equal(RebuildStatus.Types.State.Building, started.State);
        Assert.Equal(0, started.FromUnixMs);
        // Records keep coming while the new version is built and switched in.
        for (ulong sequence = 6; sequence <= 8; sequence++)
        {
            Write(sequence, sequence);
            await Task.Delay(50);
        }

        var done = await Eventually.ReturnsAsync(() => client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme")).ResponseAsync,
            static s => s.Rebuild?.State is RebuildStatus.Types.State.Done or RebuildStatus.Types.State.Failed, Eventually.DefaultTimeout, "the rebuild done");
        Assert.True(done.Rebuild.State == RebuildStatus.Types.State.Done, done.Rebuild.Error);
        Assert.True(done.Rebuild.Records >= 5, $"{done.Rebuild.Records} records read");
        Assert.Equal(0, done.Rebuild.Remaining);
        Assert.All(done.Rebuild.Partitions, p => Assert.StartsWith("telemetry.acme", p.Topic, StringComparison.Ordinal));
        Assert.True(done.Rebuild.FinishedUnixMs >= done.Rebuild.StartedUnixMs);
        Write(9, 9);

        // Every batch once (9 x 10 readings), the ghost gone, and the live projector goes on from the new version's positions.
        await Eventually.ReturnsAsync(() => ReadingsAsync(client), static n => n == 90ul, Eventually.DefaultTimeout, "truck-1's nine batches, each once");
        var fleet = await client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("acme"));
        Assert.Equal(["truck-1"], fleet.Devices.Select(d => d.DeviceId));
        Assert.Equal(90ul, await ReadingsAsync(client));
        Assert.Equal("van-1", Assert.Single((await client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("globex"))).Devices).DeviceId);
        Assert.Null((await client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("globex"))).Rebuild);
        Assert.Equal(1, History.Logs.Count("RebuildSwitched"));
    }

    [Fact]
    public async Task ARebuildFromATime_HoldsOnlyWhatTheCollectorTookFromThen()
    {
        var client = History.Client();
        Write(1, 3);
        await ProjectedAsync(3);
        await Task.Delay(50);
        long from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(50);
        Write(4, 5);
        await ProjectedAsync(5);
        Assert.Equal(50ul, await ReadingsAsync(client));

        var started = await client.StartRebuildAsync(new StartRebuildRequest { FromUnixMs = from }, Caller("acme", "admin"));
        Assert.Equal(from, started.FromUnixMs);
        var done = await Eventually.ReturnsAsync(() => client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme")).ResponseAsync,
            static s => s.Rebuild?.State is RebuildStatus.Types.State.Done or RebuildStatus.Types.State.Failed, Eventually.DefaultTimeout, "the rebuild done");
        Assert.True(done.Rebuild.State == RebuildStatus.Types.State.Done, done.Rebuild.Error);

        // Batches 4 and 5, and what comes next; the records before the start are not projected again.
        Write(6, 6);
        await Eventually.ReturnsAsync(() => ReadingsAsync(client), static n => n == 30ul, Eventually.DefaultTimeout, "batches 4, 5 and 6 only");
        Assert.Equal(5 + 1, (await client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme"))).Partitions.Sum(p => p.NextOffset));
    }

    [Fact]
    public async Task ARebuildOnOneOfTwoInstances_FailsSayingToScaleToOne_AndSwitchesOnceTheOtherInstanceHasGone()
    {
        Kafka.CreateTopic("telemetry.acme", 2);
        string group = "--FleetHistory:GroupId=fleet-history-pair-" + Guid.NewGuid().ToString("N");
        await using var first = await TestFleetHistory.StartAsync(Kafka, Issuer, null, group);
        var second = await TestFleetHistory.StartAsync(Kafka, Issuer, null, group);
        await using (second)
        {
            for (ulong truck = 1; truck <= 8; truck++)
            {
                KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, "acme", [BatchBuilder.For($"truck-{truck}", 1).StartingAt(Start).Temperatures(1, 4f).Build()]);
            }

            await Eventually.HoldsAsync(async () => await OwnedAsync(first) == 1 && await OwnedAsync(second) == 1, "the two instances splitting acme's two partitions");

            // The other instance keeps its partition: the switch waits for it, then gives up, and the live version stays.
            first.Logs.ExpectErrors("RebuildFailed");
            await first.Client().StartRebuildAsync(new StartRebuildRequest { FromBeginning = true }, Caller("acme", "admin"));
            var failed = await RebuildEndedAsync(first);
            Assert.Equal(RebuildStatus.Types.State.Failed, failed.State);
            Assert.Contains("this instance projects 1 of the 2 partitions of tenant acme's topics", failed.Error, StringComparison.Ordinal);
            Assert.Contains("Scale the fleet history to one instance for the rebuild and start it again", failed.Error, StringComparison.Ordinal);
            Assert.Equal(1, await OwnedAsync(first));
        }

        // With the other instance gone its partition comes here, and the rebuild started again switches.
        await Eventually.HoldsAsync(async () => await OwnedAsync(first) == 2, "the remaining instance owning both partitions");
        await first.Client().StartRebuildAsync(new StartRebuildRequest { FromBeginning = true }, Caller("acme", "admin"));
        var done = await RebuildEndedAsync(first);
        Assert.True(done.State == RebuildStatus.Types.State.Done, done.Error);
        Assert.Equal(8, (await first.Client().GetFleetStateAsync(new GetFleetStateRequest(), Caller("acme"))).Devices.Count);
    }

    /// <summary>How many of acme's telemetry partitions the instance projects now (those another instance owns have no end).</summary>
    private async Task<int> OwnedAsync(TestFleetHistory instance) =>
        (await instance.Client().GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme"))).Partitions.Count(p => p.Topic == "telemetry.acme" && p.EndOffset >= 0);

    private async Task<RebuildStatus> RebuildEndedAsync(TestFleetHistory instance) =>
        (await Eventually.ReturnsAsync(() => instance.Client().GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme")).ResponseAsync,
            static s => s.Rebuild?.State is RebuildStatus.Types.State.Done or RebuildStatus.Types.State.Failed, TimeSpan.FromSeconds(90), "the rebuild ended")).Rebuild;

    [Fact]
    public async Task OnlyATenantsAdmin_MayRebuild_BadRangesAreRefused_AndATenantWithNothingToRebuildIsToldSo()
    {
        var client = History.Client();
        Write(1, 1);
        await ProjectedAsync(1);

        foreach (string role in new[] { "viewer", "analyst" })
        {
            var denied = await Assert.ThrowsAsync<RpcException>(() => client.StartRebuildAsync(new StartRebuildRequest { FromBeginning = true }, Caller("acme", role)).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        }

        foreach (var bad in new[]
        {
            new StartRebuildRequest(),
            new StartRebuildRequest { FromBeginning = true, FromUnixMs = Start },
            new StartRebuildRequest { FromUnixMs = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds() },
            new StartRebuildRequest { FromUnixMs = -5 },
        })
        {
            var invalid = await Assert.ThrowsAsync<RpcException>(() => client.StartRebuildAsync(bad, Caller("acme", "admin")).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        }

        // A tenant whose topics hold nothing: NOT_FOUND naming its own topics only, and nothing else started.
        var nothing = await Assert.ThrowsAsync<RpcException>(() => client.StartRebuildAsync(new StartRebuildRequest { FromBeginning = true }, Caller("initech", "admin")).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, nothing.StatusCode);
        Assert.Contains("telemetry.initech", nothing.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", nothing.Status.Detail, StringComparison.Ordinal);
        var initech = await client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("initech"));
        Assert.Equal(RebuildStatus.Types.State.Failed, initech.Rebuild.State);
        Assert.Null((await client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme"))).Rebuild);
    }

    [Fact]
    public async Task TheRebuildCommand_StartsARebuildOfTheTokensTenant_FollowsItToTheEnd_AndRefusesAnotherTenantsToken()
    {
        Write(1, 2);
        await ProjectedAsync(2);
        string admin = Folder.File("acme-admin.jwt");
        await File.WriteAllTextAsync(admin, TestFleetHistory.Token(Issuer, "acme", "admin"));
        string globex = Folder.File("globex-admin.jwt");
        await File.WriteAllTextAsync(globex, TestFleetHistory.Token(Issuer, "globex", "admin"));
        string url = History.GrpcAddress.ToString();

        using var output = new StringWriter();
        int exit = await RebuildCommand.RunAsync(["rebuild", "--tenant", "acme", "--from-beginning", "--token-file", admin, "--url", url], output, pollEvery: TimeSpan.FromMilliseconds(100));

        Assert.True(exit == 0, output.ToString());
        Assert.Contains("Rebuilding acme's projections from the beginning: 2 record(s) to read", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("done: the new version is live (2 record(s) read", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(20ul, await ReadingsAsync(History.Client()));

        using var refused = new StringWriter();
        Assert.Equal(2, await RebuildCommand.RunAsync(["rebuild", "--tenant", "acme", "--from-beginning", "--token-file", globex, "--url", url], refused));
        Assert.Contains("is for tenant globex, not acme", refused.ToString(), StringComparison.Ordinal);
        using var both = new StringWriter();
        Assert.Equal(2, await RebuildCommand.RunAsync(["rebuild", "--tenant", "acme", "--from", "2026-12-01T00:00:00Z", "--from-beginning", "--token-file", admin], both));
        Assert.Contains("exactly one of --from TIME and --from-beginning", both.ToString(), StringComparison.Ordinal);
        using var viewer = new StringWriter();
        string viewerToken = Folder.File("acme-viewer.jwt");
        await File.WriteAllTextAsync(viewerToken, TestFleetHistory.Token(Issuer, "acme", "viewer"));
        Assert.Equal(1, await RebuildCommand.RunAsync(["rebuild", "--tenant", "acme", "--from-beginning", "--token-file", viewerToken, "--url", url], viewer));
        Assert.Contains("refused the rebuild: PermissionDenied", viewer.ToString(), StringComparison.Ordinal);
    }

    private static Contracts.Telemetry.V1.TelemetryBatch Batch(ulong sequence) =>
        BatchBuilder.For("truck-1", sequence).StartingAt(Start + ((long)sequence * 60_000)).Temperatures(1, 10, i => 4f + (i * 0.1f)).Build();

    private void Write(ulong first, ulong last)
    {
        for (ulong sequence = first; sequence <= last; sequence++)
        {
            KafkaTopics.WriteTelemetry(Kafka.BootstrapServers, "acme", [Batch(sequence)]);
        }
    }

    private Task<GetProjectionStatusResponse> ProjectedAsync(long records) =>
        Eventually.ReturnsAsync(() => History.Client().GetProjectionStatusAsync(new GetProjectionStatusRequest(), Caller("acme")).ResponseAsync,
            s => s.Partitions.Where(p => p.Topic == "telemetry.acme").Sum(p => p.NextOffset) == records, Eventually.DefaultTimeout, $"acme's {records} record(s) projected");

    /// <summary>truck-1's zone-1 readings in the minute rollups.</summary>
    private async Task<ulong> ReadingsAsync(Contracts.Fleet.V1.FleetHistory.FleetHistoryClient client)
    {
        var rollups = await client.GetRollupsAsync(new GetRollupsRequest
        {
            DeviceId = "truck-1", Sensor = "temperature", Zone = 1, Resolution = Resolution.Minute, FromUnixMs = Start, ToUnixMs = Start + 3_600_000,
        }, Caller("acme"));
        return (ulong)rollups.Rollups.Sum(r => (long)r.Count);
    }
}
