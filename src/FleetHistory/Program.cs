using Convoy.FleetHistory;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Tenancy;
using Convoy.OptionsValidation;

if (args.Any(static a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine(FleetHistoryHost.Help);
    Console.WriteLine(TenantsCommand.Usage);
    Console.WriteLine(RebuildCommand.Usage);
    return 0;
}

if (RebuildCommand.Matches(args))
{
    return await RebuildCommand.RunAsync(args, Console.Out);
}

if (TenantsCommand.Matches(args))
{
    return await StartupFailure.RunAsync("Convoy.FleetHistory", () => TenantsCommand.RunAsync(args, Console.Out));
}

return await StartupFailure.RunAsync("Convoy.FleetHistory", async () =>
{
    await using var app = FleetHistoryHost.Build(args);
    await app.RunAsync();
});
