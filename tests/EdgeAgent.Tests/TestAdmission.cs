using Convoy.EdgeAgent.Buffering;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests;

/// <summary>The door into a buffer, as the agent's host builds it, for tests that build an input by hand.</summary>
internal static class TestAdmission
{
    public static BatchAdmission Admission(EdgeAgentOptions agent, EdgeAgentMetrics metrics, TimeProvider time) =>
        new(Options.Create(agent), time, metrics, NullLogger<BatchAdmission>.Instance);
}
