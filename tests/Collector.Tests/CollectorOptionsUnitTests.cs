using Convoy.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tests;

/// <summary>
/// The <c>Collector</c> section as every program checks its settings: the generated validator names
/// each bad key, its value and the fix, all at once; the program ends on them with one line each
/// and exit code 2; <c>--help</c> shows the defaults the options have.
/// </summary>
public sealed class CollectorOptionsUnitTests : IDisposable
{
    private readonly TempFolder _folder = new("collector-options");

    [Theory]
    [InlineData("Port", "70000", "Configuration 'Collector:Port' must be 0..65535, was 70000.")]
    [InlineData("Window", "0", "Configuration 'Collector:Window' must be 1..1024, was 0.")]
    [InlineData("MaxBatchBytes", "100", "Configuration 'Collector:MaxBatchBytes' must be 1 KiB..64 MiB, was 100.")]
    [InlineData("MaxTrackedDevices", "10", "Configuration 'Collector:MaxTrackedDevices' must be at least 1000, was 10.")]
    [InlineData("HandshakeTimeout", "00:10:00", "Configuration 'Collector:HandshakeTimeout' must be 00:00:01..00:05:00, was 00:10:00.")]
    [InlineData("Address", "localhost", "Configuration 'Collector:Address' must be an IP address, was 'localhost'.")]
    [InlineData("MetricsPort", "5443", "Configuration 'Collector:MetricsPort' must be -1 (off), 0 (any) or a port other than Collector:Port, was 5443.")]
    [InlineData("SharedTopic", " ", "Configuration 'Collector:SharedTopic' must be a Kafka topic name, was ' '.")]
    [InlineData("MaxClockSkew", "-00:00:01", "Configuration 'Collector:MaxClockSkew' must not be negative, was -00:00:01.")]
    [InlineData("MaxBatchAge", "00:00:00", "Configuration 'Collector:MaxBatchAge' must be positive, was 00:00:00.")]
    public void Validate_BadSetting_NamesTheKeyAndTheValue(string key, string value, string expected)
    {
        var options = Bind([.. DevCertificates(), ($"Collector:{key}", value)]);

        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new CollectorOptionsValidator(), options));

        Assert.Equal(expected, Assert.Single(error.Failures));
    }

    [Fact]
    public void Validate_NoCertificatesOutsideDevelopment_NamesEachFileAndTheFix()
    {
        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new CollectorOptionsValidator(), new CollectorOptions()));

        Assert.Equal(["Collector:ServerCertificate", "Collector:ServerKey", "Collector:DeviceTrustRoots"],
            error.Failures.Select(static f => f.Split('\'')[1]));
        Assert.All(error.Failures, static f => Assert.Contains("--Collector:DevCertificates=true", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CertificateFilesThatAreMissingOrHoldNoCertificate_AreNamed()
    {
        string empty = _folder.File("roots.pem");
        File.WriteAllText(empty, "no certificate here");
        var options = Bind(("Collector:ServerCertificate", _folder.File("server.crt")), ("Collector:ServerKey", _folder.File("server.key")),
            ("Collector:DeviceTrustRoots", empty), ("Collector:RevocationList", _folder.File("revoked.crl")), ("Collector:TenantsFile", _folder.File("tenants.json")));

        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new CollectorOptionsValidator(), options));

        Assert.Equal(
        [
            $"Configuration 'Collector:ServerCertificate' names '{_folder.File("server.crt")}', which does not exist.",
            $"Configuration 'Collector:ServerKey' names '{_folder.File("server.key")}', which does not exist.",
            $"Configuration 'Collector:DeviceTrustRoots' names '{empty}', which holds no PEM certificate.",
            $"Configuration 'Collector:RevocationList' names '{_folder.File("revoked.crl")}', which does not exist.",
            $"Configuration 'Collector:TenantsFile' names '{_folder.File("tenants.json")}', which does not exist.",
        ], error.Failures);
    }

    [Fact]
    public void Validate_Defaults_WithDevelopmentCertificates_Pass()
    {
        var options = Bind(DevCertificates());

        OptionsChecks.Validate(new CollectorOptionsValidator(), options);
        Assert.True(options.UsesDevCertificates);
    }

    [Fact]
    public void Build_InTheDevelopmentEnvironmentWithoutCertificates_MakesDevelopmentCertificates()
    {
        string folder = _folder.File("dev-certs");

        using (CollectorHost.Build(["--environment=Development", $"--Collector:DevCertificatesFolder={folder}", "--Collector:Port=0", "--Collector:MetricsPort=-1"]))
        {
            Assert.True(File.Exists(Path.Combine(folder, "ca.crt")));
        }
    }

    [Fact]
    public void Build_SeveralBadSettings_ReportsEveryOne_BeforeAnythingIsMade()
    {
        string folder = _folder.File("dev-certs");

        var error = Assert.Throws<AggregateException>(() => CollectorHost.Build(
            ["--environment=Production", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={folder}", "--Collector:Window=0", "--Collector:Port=70000",
             "--Kafka:BootstrapServers=not a broker"]));

        var failures = error.InnerExceptions.Cast<OptionsValidationException>().SelectMany(static e => e.Failures).ToList();
        Assert.Contains("Configuration 'Collector:Window' must be 1..1024, was 0.", failures);
        Assert.Contains("Configuration 'Collector:Port' must be 0..65535, was 70000.", failures);
        Assert.Contains(failures, static f => f.StartsWith("Configuration 'Kafka:BootstrapServers' must be", StringComparison.Ordinal));
        Assert.False(Directory.Exists(folder), "development certificates were made before the settings were checked");
    }

    [Fact]
    public void Program_BadSettings_StopIt_WithOneLineEach_NamingTheSetting_AndNoStackTrace()
    {
        using var program = ProgramProcess.Of("Collector", 
        [
            "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={_folder.File("dev-certs")}",
            "--Collector:Window=2000", "--Collector:HandshakeTimeout=00:00:00", "--Kafka:Embedded=true",
        ]);

        string[] lines = program.AssertStoppedOnBadSettings();
        Assert.Contains("Convoy.Collector: Configuration 'Collector:Window' must be 1..1024, was 2000.", lines);
        Assert.Contains("Convoy.Collector: Configuration 'Collector:HandshakeTimeout' must be 00:00:01..00:05:00, was 00:00:00.", lines);
    }

    [Fact]
    public void Help_ShowsEveryDefaultAsTheOptionsHaveIt()
    {
        int checkedDefaults = OptionsChecks.AssertHelpShowsTheDefaults(CollectorHost.Help,
            (CollectorOptions.SectionName, () => new CollectorOptions()), (KafkaOptions.SectionName, () => new KafkaOptions()),
            (Tracing.OtlpOptions.SectionName, () => new Tracing.OtlpOptions()));

        // Address, the two ports, the development certificates' folder, the partners' audience and
        // clock skew, the topic mode and shared topic, Window, MaxBatchBytes, MaxTrackedDevices, the
        // handshake timeout, MaxClockSkew, MaxBatchAge; Kafka's partitions, replication factor and
        // embedded brokers; the OTLP protocol and sample ratio.
        Assert.Equal(19, checkedDefaults);
    }

    private (string, string)[] DevCertificates() =>
        [("Collector:DevCertificates", "true"), ("Collector:DevCertificatesFolder", _folder.File("dev-certs"))];

    /// <summary>The collector's options as its host binds them.</summary>
    private static CollectorOptions Bind(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(static s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build()
            .GetSection(CollectorOptions.SectionName).Get<CollectorOptions>() ?? new CollectorOptions();

    public void Dispose() => _folder.Dispose();
}
