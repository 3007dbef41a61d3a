using Convoy.Collector;

if (args.Length > 0 && args[0] == "pki")
{
    return Convoy.Pki.PkiCommands.Run(args[1..], Console.Out, Console.Error);
}

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
