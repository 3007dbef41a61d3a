using Convoy.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Tests;

/// <summary>The fleet history settings: the store choice binds as an operator writes it, a bad one is refused naming its key, and --help shows the defaults the code has.</summary>
public sealed class FleetHistoryOptionsUnitTests
{
    [Fact]
    public void TheStoreSettings_BindFromConfiguration()
    {
        var options = Bind(("Store", "clickhouse"), ("ClickHouse:Url", "https://clickhouse.fleet.internal:8443/"), ("ClickHouse:Isolation", "SharedTables"), ("ClickHouse:Database", "fleet"));

        Assert.Equal(FleetStoreKind.ClickHouse, options.Store);
        Assert.Equal(("https://clickhouse.fleet.internal:8443/", ClickHouseIsolation.SharedTables, "fleet"), (options.ClickHouse.Url, options.ClickHouse.Isolation, options.ClickHouse.Database));
        OptionsChecks.Validate(new FleetHistoryOptionsValidator(), options);
    }

    [Fact]
    public void TheDefaults_AreTheEmbeddedStore_AndAValidClickHouseSection()
    {
        var options = new FleetHistoryOptions();

        Assert.Equal(FleetStoreKind.DuckDb, options.Store);
        Assert.Equal(("http://127.0.0.1:8123/", ClickHouseIsolation.DatabasePerTenant, "convoy"), (options.ClickHouse.Url, options.ClickHouse.Isolation, options.ClickHouse.Database));
        OptionsChecks.Validate(new FleetHistoryOptionsValidator(), options);
    }

    [Theory]
    [InlineData("ClickHouse:Url", "tcp://127.0.0.1:9000", "Configuration 'FleetHistory:ClickHouse:Url' must be an absolute http:// or https:// URL of ClickHouse's HTTP interface, was 'tcp://127.0.0.1:9000'.")]
    [InlineData("ClickHouse:Url", "clickhouse:8123", "Configuration 'FleetHistory:ClickHouse:Url' must be an absolute http:// or https:// URL")]
    [InlineData("ClickHouse:Url", "/clickhouse", "Configuration 'FleetHistory:ClickHouse:Url' must be an absolute http:// or https:// URL")]
    [InlineData("ClickHouse:Url", "", "Configuration 'FleetHistory:ClickHouse:Url' must be an absolute http:// or https:// URL")]
    [InlineData("ClickHouse:Database", "Convoy-Prod", "Configuration 'FleetHistory:ClickHouse:Database' must be 1..63 of [a-z0-9_], starting with a letter.")]
    [InlineData("ClickHouse:Database", "convoy; DROP", "Configuration 'FleetHistory:ClickHouse:Database' must be 1..63 of [a-z0-9_]")]
    [InlineData("ClickHouse:Isolation", "7", "Configuration 'FleetHistory:ClickHouse:Isolation' must be DatabasePerTenant or SharedTables, was 7.")]
    [InlineData("Store", "3", "Configuration 'FleetHistory:Store' must be DuckDb or ClickHouse, was 3.")]
    public void ABadStoreSetting_IsRefused_NamingItsKey(string key, string value, string message)
    {
        var options = Bind((key, value));

        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new FleetHistoryOptionsValidator(), options));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATenantsFileThatDoesNotExist_IsRefused_NamingItsKey()
    {
        var options = Bind(("TenantsFile", Path.Combine(Path.GetTempPath(), "convoy-no-such-registry-" + Guid.NewGuid().ToString("N") + ".json")));

        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new FleetHistoryOptionsValidator(), options));

        Assert.Contains("Configuration 'FleetHistory:TenantsFile' names no file", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARulesFolderThatDoesNotExist_IsRefused_NamingItsKey()
    {
        var options = Bind(("RulesFolder", Path.Combine(Path.GetTempPath(), "convoy-no-such-rules-" + Guid.NewGuid().ToString("N"))));

        var refused = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new FleetHistoryOptionsValidator(), options));

        Assert.Contains("Configuration 'FleetHistory:RulesFolder' names no folder", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutsideDevelopment_TheStoresFolderMustBeNamed()
    {
        using var folder = new TempFolder("fleet-store");

        var refused = Assert.Throws<OptionsValidationException>(() => FleetHistoryHost.Build(["--environment=Production", "--Kafka:BootstrapServers=127.0.0.1:9"]));

        Assert.Contains("'FleetHistory:DataFolder' is not set in the Production environment", refused.Message, StringComparison.Ordinal);
        using (FleetHistoryHost.Build(["--environment=Production", "--Kafka:BootstrapServers=127.0.0.1:9", $"--FleetHistory:DataFolder={folder}"]))
        {
        }
    }

    [Fact]
    public void Help_ShowsEveryDefaultAsTheOptionsHaveIt()
    {
        int checkedDefaults = OptionsChecks.AssertHelpShowsTheDefaults(FleetHistoryHost.Help, (FleetHistoryOptions.SectionName, () => new FleetHistoryOptions()));

        // Address, the two ports, Store, DataFolder, ClickHouse Url, Isolation and Database, GroupId,
        // TopicPattern, the two flush settings, the query quota and burst, the watch backlog, the three
        // retention days and how often retention is enforced. (The rules folder has no default: none.)
        Assert.Equal(19, checkedDefaults);
    }

    private static FleetHistoryOptions Bind(params (string Key, string Value)[] settings)
    {
        var options = new FleetHistoryOptions();
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{FleetHistoryOptions.SectionName}:{s.Key}", s.Value)))
            .Build().GetSection(FleetHistoryOptions.SectionName).Bind(options);
        return options;
    }
}
