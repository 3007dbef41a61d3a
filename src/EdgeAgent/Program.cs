using Convoy.EdgeAgent;
using Microsoft.Extensions.Hosting;
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
    if (!EdgeAgentHost.UsesSystemTrustStore(host))
    {
        Convoy.EdgeAgent.Uplink.SystemTrustStore.LeaveOut();
    }

    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
