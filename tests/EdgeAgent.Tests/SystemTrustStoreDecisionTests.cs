namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The agent process leaves the operating system's CA bundle out (Uplink/SystemTrustStore) unless
/// something in it verifies a peer against that bundle: only an MQTT broker over TLS without
/// EdgeAgent:Mqtt:TrustRoots does.
/// </summary>
public sealed class SystemTrustStoreDecisionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("convoy-trust-").FullName;

    [Fact]
    public void Simulator_VerifiesCollectorsWithItsOwnRootsOnly()
    {
        using var host = EdgeAgentHost.Build(["--EdgeAgent:DevCertificates=true", "--EdgeAgent:Simulator:Trucks=1"]);

        Assert.False(EdgeAgentHost.UsesSystemTrustStore(host));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, true)]
    public void Truck_UsesTheSystemStore_OnlyForAnMqttBrokerOverTlsWithoutRoots(bool mqttTls, bool withoutMqttRoots, bool expected)
    {
        string roots = Path.Combine(_folder, "broker-ca.crt");
        File.WriteAllText(roots, "not read at build time");
        List<string> arguments =
        [
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={_folder}",
            "--EdgeAgent:Device:Tenant=acme",
            "--EdgeAgent:Device:Id=truck-1",
            "--EdgeAgent:Nmea:Source=None",
            $"--EdgeAgent:Buffer:Folder={Path.Combine(_folder, "buffer")}",
            "--EdgeAgent:Mqtt:Enabled=true",
            $"--EdgeAgent:Mqtt:UseTls={mqttTls}",
        ];
        if (!withoutMqttRoots)
        {
            arguments.Add($"--EdgeAgent:Mqtt:TrustRoots={roots}");
        }

        using var host = EdgeAgentHost.Build([.. arguments]);

        Assert.Equal(expected, EdgeAgentHost.UsesSystemTrustStore(host));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
