using Convoy.AlertEngine;
using Convoy.AlertEngine.Rules.Files;
using Convoy.Kafka;
using Microsoft.Extensions.Hosting;

if (args.Length > 0 && args[0] == "rules")
{
    return RulesCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(AlertEngineHost.Help);
    return 0;
}

try
{
    using var host = AlertEngineHost.Build(args);
    await host.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (AggregateException e) when (e.InnerExceptions.All(static inner => inner is Microsoft.Extensions.Options.OptionsValidationException))
{
    // Several sections invalid at once (e.g. AlertEngine and Kafka): every one is reported.
    foreach (var inner in e.InnerExceptions)
    {
        Console.Error.WriteLine(inner.Message);
    }

    return 2;
}
