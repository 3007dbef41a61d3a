using Convoy.EdgeAgent.Batching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>A gateway without a GPS receiver (MQTT sensors only) runs no GPS input, instead of retrying gpsd forever.</summary>
public sealed class NoGpsReceiverTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("convoy-nogps-").FullName;

    [Theory]
    [InlineData("None", false)]
    [InlineData("Tcp", true)]
    public void Build_TruckMode_RunsTheGpsInputOnlyWhenThereIsAReceiver(string source, bool gps)
    {
        using var host = EdgeAgentHost.Build(
        [
            "--EdgeAgent:Collectors:0=https://127.0.0.1:1",
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={_folder}",
            "--EdgeAgent:Device:Tenant=acme",
            "--EdgeAgent:Device:Id=truck-1",
            $"--EdgeAgent:Buffer:Folder={Path.Combine(_folder, "buffer")}",
            $"--EdgeAgent:Nmea:Source={source}",
        ]);

        Assert.Equal(gps, host.Services.GetServices<IHostedService>().OfType<GpsBatcher>().Any());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
