using System.Net;
using System.Net.Sockets;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Every cloud program, run as an operator runs it (its own build output, Production), ends on a
/// bad setting with exit code 2 and one line naming the setting, the value and the fix — never a
/// stack trace: a value of the wrong type, a misspelled librdkafka setting, a port another process
/// holds, and (the engine) a rules file that does not parse.
/// </summary>
public sealed class BadSettingsTests
{
    private const string KafkaTypo = "--Kafka:Properties:sasl.mechansim=PLAIN";

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "AlertEngine", "--AlertEngine:MetricsPort=abc", "Configuration 'AlertEngine:MetricsPort' must be a whole number, was 'abc'." },
        { "FleetHistory", "--FleetHistory:HttpPort=abc", "Configuration 'FleetHistory:HttpPort' must be a whole number, was 'abc'." },
        { "FleetHistory", "--FleetHistory:Store=Postgres", "Configuration 'FleetHistory:Store' must be one of DuckDb, ClickHouse, was 'Postgres'." },
        { "Collector", "--Collector:Port=abc", "Configuration 'Collector:Port' must be a whole number, was 'abc'." },
        { "AlertEngine", "--AlertEngine:AllowedLatenessSeconds=ten", "Configuration 'AlertEngine:AllowedLatenessSeconds' must be a number (with a point, not a comma), was 'ten'." },
    };

    public static TheoryData<string> Programs => ["AlertEngine", "FleetHistory", "Collector"];

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void AValueOfTheWrongType_IsOneLineNamingItAndWhatItMustBe(string program, string setting, string line) =>
        AssertStopsWith(program, [setting], line);

    [Theory]
    [MemberData(nameof(Programs))]
    public void AMisspelledLibrdkafkaSetting_IsOneLineInLibrdkafkasWords(string program) =>
        AssertStopsWith(program, [KafkaTypo],
            "Configuration 'Kafka:Properties:sasl.mechansim' is refused by librdkafka: No such configuration property: \"sasl.mechansim\" (its settings are listed in librdkafka's CONFIGURATION.md).");

    [Theory]
    [MemberData(nameof(Programs))]
    public void APortAnotherProcessHolds_IsOneLineNamingTheSetting(string program)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        string key = program switch
        {
            "AlertEngine" => "AlertEngine:MetricsPort",
            "FleetHistory" => "FleetHistory:HttpPort",
            _ => "Collector:MetricsPort",
        };

        AssertStopsWith(program, [$"--{key}={port}"],
            $"Configuration '{key}' names port {port} on 127.0.0.1, which another process is listening on: stop it, or choose another port (0 = any free port).");
    }

    [Fact]
    public void ARulesFileThatDoesNotParse_StopsTheEngineNamingTheFileAndWhere()
    {
        using var rules = new TempFolder("bad-rules");
        File.WriteAllText(rules.File("acme.yaml"), "rules:\n  - { id: warm\n");

        AssertStopsWith("AlertEngine", [$"--AlertEngine:RulesFolder={rules.Path}"],
            "Configuration 'AlertEngine:RulesFolder' has invalid rule files:");
    }

    private static void AssertStopsWith(string program, string[] settings, string line)
    {
        using var folder = new TempFolder("bad-settings");
        using var running = ProgramProcess.Of(program, [.. Runnable(program, folder.Path), .. settings]);

        Assert.Contains($"Convoy.{program}: {line}", running.AssertStoppedOnBadSettings());
    }

    /// <summary>What each program needs besides the bad setting to start here: any free ports, the embedded Kafka, a folder of its own.</summary>
    private static string[] Runnable(string program, string folder) => program switch
    {
        "AlertEngine" => ["--Kafka:Embedded=true", "--AlertEngine:MetricsPort=0"],
        "FleetHistory" => ["--Kafka:Embedded=true", "--FleetHistory:GrpcPort=0", "--FleetHistory:HttpPort=0", $"--FleetHistory:DataFolder={folder}"],
        "Collector" => ["--Kafka:Embedded=true", "--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={folder}"],
        _ => throw new ArgumentOutOfRangeException(nameof(program), program, "no settings for it"),
    };
}
