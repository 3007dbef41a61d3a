using Microsoft.Extensions.DependencyInjection;

namespace Convoy.TestKit;

/// <summary>How a <see cref="TestCollector"/> starts, beyond the defaults (development certificates, one partition per topic).</summary>
public sealed record TestCollectorSetup
{
    /// <summary>Tenants whose telemetry topic (<c>telemetry.&lt;tenant&gt;</c>) exists before the collector starts.</summary>
    public IReadOnlyList<string> Tenants { get; init; } = [];

    /// <summary>Partitions of each tenant topic.</summary>
    public int Partitions { get; init; } = 1;

    /// <summary>Also create each tenant's alert topic, for an alert engine on the same Kafka.</summary>
    public bool AlertTopics { get; init; }

    /// <summary>Further topics, such as a shared telemetry topic.</summary>
    public IReadOnlyList<(string Topic, int Partitions)> Topics { get; init; } = [];

    /// <summary>Let the collector trust the development CA it creates in <see cref="Folder"/>; false when the test brings its own PKI through <see cref="Switches"/>.</summary>
    public bool DevCertificates { get; init; } = true;

    /// <summary>The test's folder, already holding what the switches point at, which the test deletes. Without one the fixture makes a temporary folder and deletes it on dispose.</summary>
    public string? Folder { get; init; }

    /// <summary>Command-line switches after the fixture's own (ports 0, certificates).</summary>
    public IReadOnlyList<string> Switches { get; init; } = [];

    /// <summary>Services to add or replace, such as a startup filter that watches requests.</summary>
    public Action<IServiceCollection>? Services { get; init; }
}
