using Convoy.Contracts.Fleet.V1;
using Grpc.Core;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The read side follows the tenant registry the collector follows (<c>FleetHistory:TenantsFile</c>):
/// each tenant's retention under what its admin sets, and who may query, changing with the file.
/// </summary>
public sealed class TenantRegistryTests() : ReadSideTest("fleet-registry")
{
    private string Registry => Folder.File("tenants.json");

    protected override string[] Switches()
    {
        File.WriteAllText(Registry, """
            { "Open": false,
              "Tenants": {
                "acme":    { "Retention": { "PositionsDays": 30, "AlertsDays": 200 } },
                "globex":  { },
                "initech": { "Enabled": false } } }
            """);
        return [$"--FleetHistory:TenantsFile={Registry}"];
    }

    [Fact]
    public async Task TheRegistrySetsEachTenantsRetention_ItsAdminMaySetItsOwn_AndAChangedFileApplies()
    {
        var client = History.Client();
        var admin = Caller("acme", "admin");

        Assert.Equal((30, 730, 200), Days(await client.GetRetentionAsync(new GetRetentionRequest(), Caller("acme"))));
        Assert.Equal((90, 730, 365), Days(await client.GetRetentionAsync(new GetRetentionRequest(), Caller("globex"))));

        // The admin's own days win, kind by kind; 0 gives the kind back to the registry.
        Assert.Equal((10, 730, 200), Days(await client.SetRetentionAsync(new Retention { PositionsDays = 10 }, admin)));
        Assert.Equal((30, 730, 200), Days(await client.SetRetentionAsync(new Retention(), admin)));

        await File.WriteAllTextAsync(Registry, """
            { "Open": false, "Tenants": { "acme": { "Retention": { "PositionsDays": 45, "RollupsDays": 400 } }, "globex": { } } }
            """);
        await Eventually.ReturnsAsync(() => client.GetRetentionAsync(new GetRetentionRequest(), Caller("acme")).ResponseAsync,
            r => Days(r) == (45, 400, 365), Eventually.DefaultTimeout, "acme's retention from the changed registry");
        Assert.Equal(1, History.Logs.Count("TenantRegistryReloaded"));
    }

    [Fact]
    public async Task ADisabledTenant_AndOneAClosedRegistryDoesNotList_AreRefusedEveryQuery_UntilTheFileLetsThem()
    {
        var client = History.Client();
        Assert.Empty((await client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("acme"))).Devices);

        var disabled = await Assert.ThrowsAsync<RpcException>(() => client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("initech")).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, "tenant initech is disabled on this platform; ask the platform operator"), (disabled.StatusCode, disabled.Status.Detail));
        var unlisted = await Assert.ThrowsAsync<RpcException>(() => client.GetRetentionAsync(new GetRetentionRequest(), Caller("umbrella", "admin")).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, "tenant umbrella is not registered on this platform; ask the platform operator"), (unlisted.StatusCode, unlisted.Status.Detail));

        // A file that does not validate changes nothing; the next good one applies.
        History.Logs.ExpectErrors("TenantRegistryRejected");
        await File.WriteAllTextAsync(Registry, """{ "Tenants": { "initech": { "Retention": { "PositionsDays": -1 } } } }""");
        await Eventually.HoldsAsync(async () => !await Succeeds(client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("initech")).ResponseAsync)
            && History.Logs.Count("TenantRegistryRejected") == 1, "the invalid registry rejected, initech still refused");
        Assert.Contains("Tenant registry 'Tenants:initech:Retention:PositionsDays' must be 1..3660 days, or 0 for the platform's default, was -1.",
            History.Logs.Entries.Single(e => e.Event == "TenantRegistryRejected").Message, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Registry, """{ "Open": true, "Tenants": { "initech": { } } }""");
        await Eventually.ReturnsAsync(() => Succeeds(client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("initech")).ResponseAsync),
            ok => ok, Eventually.DefaultTimeout, "initech enabled again");
        Assert.True(await Succeeds(client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("umbrella")).ResponseAsync));
    }

    private static (int, int, int) Days(Retention r) => (r.PositionsDays, r.RollupsDays, r.AlertsDays);

    private static async Task<bool> Succeeds(Task call)
    {
        try
        {
            await call;
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
        {
            return false;
        }
    }
}
