namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Tests that read a program's /metrics run alone: OpenTelemetry exports every meter of a name in
/// the process, so the agents of tests running beside them would add to the figures.
/// (A program runs one of each per process, so only the tests share.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMetrics
{
    public const string Name = "reads /metrics";
}
