using Convoy.TenantConsole;
using Microsoft.Extensions.Options;

if (args.Any(static a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine(TenantConsoleHost.Help);
    return 0;
}

try
{
    await using var app = TenantConsoleHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("Convoy.TenantConsole: " + string.Join(" ", e.Failures));
    return 2;
}
catch (AggregateException e) when (e.InnerExceptions.All(static i => i is OptionsValidationException))
{
    foreach (var inner in e.InnerExceptions.Cast<OptionsValidationException>())
    {
        Console.Error.WriteLine("Convoy.TenantConsole: " + string.Join(" ", inner.Failures));
    }

    return 2;
}
