using Convoy.TenantConsole;
using Convoy.OptionsValidation;

if (args.Any(static a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine(TenantConsoleHost.Help);
    return 0;
}

return await StartupFailure.RunAsync("Convoy.TenantConsole", async () =>
{
    await using var app = TenantConsoleHost.Build(args);
    await app.RunAsync();
});
