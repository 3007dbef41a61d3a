using Convoy.Kafka.Embedded;
using Metadata = Grpc.Core.Metadata;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The fleet history program on an embedded Kafka with a token issuer, started for each test (xunit
/// makes an instance of the class per test) and removed after it: what the query API's tests share.
/// </summary>
public abstract class ReadSideTest(string name) : IAsyncLifetime
{
    protected TempFolder Folder { get; } = new(name);

    protected EmbeddedKafkaCluster Kafka { get; private set; } = null!;

    protected TestPartner Issuer { get; private set; } = null!;

    protected TestFleetHistory History { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Kafka = EmbeddedKafkaCluster.Start();
        Issuer = new TestPartner(Folder.File("issuer"));
        History = await TestFleetHistory.StartAsync(Kafka, Issuer, null, Switches());
    }

    public virtual async Task DisposeAsync()
    {
        await History.DisposeAsync();
        Issuer.Dispose();
        Kafka.Dispose();
        Folder.Dispose();
    }

    /// <summary>The program's settings beyond the test defaults (<see cref="TestFleetHistory"/>).</summary>
    protected virtual string[] Switches() => [];

    /// <summary>Call headers with a bearer token of <paramref name="tenant"/> with <paramref name="roles"/>.</summary>
    protected Metadata Caller(string tenant, string roles = "viewer") => TestPartner.Bearer(TestFleetHistory.Token(Issuer, tenant, roles));
}
