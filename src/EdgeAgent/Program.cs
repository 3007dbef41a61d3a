using Convoy.EdgeAgent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args.Length > 0 && args[0] == "check")
{
    return Convoy.EdgeAgent.BufferCheckCommand.Run(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "report-reduction")
{
    return Convoy.EdgeAgent.Aggregation.ReductionReport.Run(args[1..], Console.Out);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(EdgeAgentHost.Help);
    return 0;
}

return await Convoy.OptionsValidation.StartupFailure.RunAsync("Convoy.EdgeAgent", async () =>
{
    using var host = EdgeAgentHost.Build(args);
    bool mqttNeedsIt = EdgeAgentHost.UsesSystemTrustStore(host);
    if (mqttNeedsIt || !Convoy.EdgeAgent.Uplink.SystemTrustStore.LeaveOut())
    {
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.EdgeAgent");
        EdgeAgentLog.SystemTrustStoreLoaded(logger, mqttNeedsIt ? "the MQTT broker is verified against it: EdgeAgent:Mqtt:UseTls without Mqtt:TrustRoots" : "setenv is not available");
    }

    await host.RunAsync();
});
