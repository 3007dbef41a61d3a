using Convoy.EdgeAgent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

try
{
    using var host = EdgeAgentHost.Build(args);
    bool mqttNeedsIt = EdgeAgentHost.UsesSystemTrustStore(host);
    if (mqttNeedsIt || !Convoy.EdgeAgent.Uplink.SystemTrustStore.LeaveOut())
    {
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.EdgeAgent");
        EdgeAgentLog.SystemTrustStoreLoaded(logger, mqttNeedsIt ? "the MQTT broker is verified against it: EdgeAgent:Mqtt:UseTls without Mqtt:TrustRoots" : "setenv is not available");
    }

    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (AggregateException e) when (e.InnerExceptions.All(static inner => inner is OptionsValidationException))
{
    // Several sections invalid at once (e.g. Nmea and Buffer): every one is reported.
    foreach (var inner in e.InnerExceptions)
    {
        Console.Error.WriteLine(inner.Message);
    }

    return 2;
}
