using System.Text.Json;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Every cloud program logs in the console format the operator chooses with
/// <c>Logging:Console:FormatterName</c> (json for a log shipper, systemd for journald), run as an
/// operator runs it (its own build output, Production); an unknown format stops it with one line.
/// </summary>
public sealed class ConsoleLogFormatTests
{
    public static TheoryData<string> Programs => ["AlertEngine", "FleetHistory", "Collector"];

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task FormatterNameJson_EveryLineIsOneJsonObject_WithLevelCategoryAndMessage(string program)
    {
        using var folder = new TempFolder("log-format");
        using var running = ProgramProcess.Of(program, [.. Settings(program, folder.Path), "--Logging:Console:FormatterName=json"]);
        try
        {
            await Eventually.HoldsAsync(() => running.Output.Split('\n').Count(static l => l.StartsWith('{')) >= 2, TimeSpan.FromSeconds(60),
                $"{program} to log two lines");
            foreach (string line in running.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var json = JsonDocument.Parse(line);
                Assert.True(json.RootElement.TryGetProperty("LogLevel", out _), line);
                Assert.True(json.RootElement.TryGetProperty("Category", out _), line);
                Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
            }
        }
        finally
        {
            running.Process.Kill();
        }
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void FormatterNameUnknown_StopsTheProgramWithOneLineNamingTheSetting(string program)
    {
        using var folder = new TempFolder("log-format");
        using var running = ProgramProcess.Of(program, [.. Settings(program, folder.Path), "--Logging:Console:FormatterName=xml"]);

        Assert.Equal([$"Convoy.{program}: Configuration 'Logging:Console:FormatterName' must be simple, json or systemd (journald), was 'xml'."], running.AssertStoppedOnBadSettings());
    }

    /// <summary>What each program needs to start on this machine: any free ports, the embedded Kafka, a folder of its own.</summary>
    private static string[] Settings(string program, string folder) => program switch
    {
        "AlertEngine" => ["--Kafka:Embedded=true", "--AlertEngine:MetricsPort=0"],
        "FleetHistory" => ["--Kafka:Embedded=true", "--FleetHistory:GrpcPort=0", "--FleetHistory:HttpPort=0", $"--FleetHistory:DataFolder={folder}"],
        "Collector" => ["--Kafka:Embedded=true", "--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={folder}"],
        _ => throw new ArgumentOutOfRangeException(nameof(program), program, "no settings for it"),
    };
}
