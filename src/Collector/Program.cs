using Convoy.Collector;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CollectorHost.Help);
    return 0;
}

try
{
    var app = CollectorHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
