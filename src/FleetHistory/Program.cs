using Convoy.FleetHistory;
using Convoy.FleetHistory.Tenancy;
using Microsoft.Extensions.Options;

if (args.Any(static a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine(FleetHistoryHost.Help);
    Console.WriteLine(TenantsCommand.Usage);
    return 0;
}

try
{
    if (TenantsCommand.Matches(args))
    {
        return await TenantsCommand.RunAsync(args, Console.Out);
    }

    await using var app = FleetHistoryHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("Convoy.FleetHistory: " + string.Join(" ", e.Failures));
    return 2;
}
catch (AggregateException e) when (e.InnerExceptions.All(static i => i is OptionsValidationException))
{
    foreach (var inner in e.InnerExceptions.Cast<OptionsValidationException>())
    {
        Console.Error.WriteLine("Convoy.FleetHistory: " + string.Join(" ", inner.Failures));
    }

    return 2;
}
