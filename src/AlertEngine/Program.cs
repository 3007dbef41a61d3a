using Convoy.AlertEngine;
using Convoy.AlertEngine.Rules.Files;

if (args.Length > 0 && args[0] == "rules")
{
    return RulesCommand.Run(args[1..], Console.Out, Console.Error);
}

if (Convoy.AlertEngine.Replay.ReplayCommand.Matches(args))
{
    return await Convoy.AlertEngine.Replay.ReplayCommand.RunAsync(args, Console.Out);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(AlertEngineHost.Help);
    return 0;
}

return await Convoy.OptionsValidation.StartupFailure.RunAsync("Convoy.AlertEngine", async () =>
{
    using var host = AlertEngineHost.Build(args);
    await host.RunAsync();
});
