using Convoy.Collector;

if (args.Length > 0 && args[0] == "pki")
{
    return Convoy.Pki.PkiCommands.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "tenants")
{
    return Convoy.Collector.Tenancy.TenantsCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CollectorHost.Help);
    return 0;
}

return await Convoy.OptionsValidation.StartupFailure.RunAsync("Convoy.Collector", async () =>
{
    await using var app = CollectorHost.Build(args);
    await app.RunAsync();
});
