using Convoy.Collector.Tenancy;
using Convoy.Tenancy;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.Collector.Tests;

/// <summary>
/// A tenant file that does not validate names the key that is wrong: at start it stops the
/// collector, later it is ignored, the last good registry staying in use.
/// </summary>
public sealed class TenantRegistryOptionsUnitTests : IDisposable
{
    private const string AcmeAdmitted = """{ "Tenants": { "acme": { "DisplayName": "ACME Cold Chain" } } }""";
    private const string AcmeReadingsNegative = """{ "Tenants": { "acme": { "Quota": { "ReadingsPerSecond": -5 } } } }""";
    private readonly TempFolder _folder = new("tenant-registry");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestLogs _logs = new();

    [Theory]
    [InlineData("Partitions", "Tenants:acme:Topic:Partitions")]
    [InlineData("ReplicationFactor", "Tenants:acme:Topic:ReplicationFactor")]
    [InlineData("MaxInFlightBytes", "Tenants:acme:Quota:MaxInFlightBytes")]
    [InlineData("PositionsDays", "Tenants:acme:Retention:PositionsDays")]
    [InlineData("AlertsDays", "Tenants:acme:Retention:AlertsDays")]
    [InlineData("Isolation", "Tenants:acme:Store:Isolation")]
    public void Validate_ABadTenantSetting_NamesItsKey(string setting, string key)
    {
        var tenant = new TenantOptions { Quota = new TenantQuota(), Topic = new TenantTopic(), Retention = new TenantRetention(), Store = new TenantStore() };
        switch (setting)
        {
            case "Partitions": tenant.Topic.Partitions = 0; break;
            case "ReplicationFactor": tenant.Topic.ReplicationFactor = 0; break;
            case "PositionsDays": tenant.Retention.PositionsDays = -1; break;
            case "AlertsDays": tenant.Retention.AlertsDays = TenantRetention.MaxDays + 1; break;
            case "Isolation": tenant.Store.Isolation = (ClickHouseIsolation)7; break;
            default: tenant.Quota.MaxInFlightBytes = 1000; break;
        }

        var registry = new TenantRegistryOptions();
        registry.Tenants["acme"] = tenant;

        var error = Assert.Throws<OptionsValidationException>(() => OptionsChecks.Validate(new TenantRegistryOptionsValidator(), registry));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileWithNegativeReadingsPerSecond_StopsTheStart_NamingTheKeyAndTheValue()
    {
        string file = Write(AcmeReadingsNegative);

        var error = Assert.Throws<OptionsValidationException>(() => Registry(file));

        Assert.Equal("Tenant registry 'Tenants:acme:Quota:ReadingsPerSecond' must be at least 1, was -5.", Assert.Single(error.Failures));
    }

    [Fact]
    public void AFileOfRetentionAndIsolation_IsReadAsTheFleetHistoryUsesIt()
    {
        string file = Write("""{ "Tenants": { "acme": { "Retention": { "PositionsDays": 30 }, "Store": { "Isolation": "SharedTables" } }, "globex": { } } }""");

        var registry = TenantRegistryFile.Read(file);

        Assert.Equal((30, 0, 0), (registry.Tenants["acme"].Retention!.PositionsDays, registry.Tenants["acme"].Retention!.RollupsDays, registry.Tenants["acme"].Retention!.AlertsDays));
        Assert.Equal(ClickHouseIsolation.SharedTables, registry.Tenants["acme"].Store!.Isolation);
        Assert.Null(registry.Tenants["globex"].Store);
    }

    [Theory]
    [InlineData("""{ "Tenants": { "acme": { "Enabled": "nope" } } }""", "'nope' at 'Tenants:acme:Enabled'")]
    [InlineData("""{ "Tenants": { "acme": { "Quota": { "ReadingsPerSecond": "lots" } } } }""", "'lots' at 'Tenants:acme:Quota:ReadingsPerSecond'")]
    [InlineData("""{ "Tenants": { "acme": { "Store": { "Isolation": "Sideways" } } } }""", "'Sideways' at 'Tenants:acme:Store:Isolation'")]
    public void ATenantWithAValueOfTheWrongType_IsNotLeftOut_ButRefusesTheFile_NamingTheKey(string json, string named)
    {
        string file = Write(json);

        var error = Assert.Throws<InvalidDataException>(() => TenantRegistryFile.Read(file));

        Assert.StartsWith("is not a tenant registry: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileThatIsNoJson_StopsTheStart_NamingTheSetting()
    {
        string file = Write("{ \"Tenants\": ");

        var error = Assert.Throws<OptionsValidationException>(() => Registry(file));

        Assert.StartsWith($"Configuration 'Collector:TenantsFile' names '{file}', which is not a tenant registry: ", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void ChangedFile_ThatDoesNotValidate_IsIgnored_ThenAGoodOneApplies()
    {
        string file = Write(AcmeAdmitted);
        using var registry = Registry(file);
        Assert.NotNull(registry.Admit("acme", out _, out _));
        _logs.ExpectErrors("TenantRegistryRejected");

        Rewrite(file, AcmeReadingsNegative, minutes: 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(registry.Admit("acme", out _, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(registry.Admit("acme", out _, out _));
        var rejected = Assert.Single(_logs.Entries);
        Assert.Equal("TenantRegistryRejected", rejected.Event);
        Assert.Contains("'Tenants:acme:Quota:ReadingsPerSecond' must be at least 1, was -5", rejected.Message, StringComparison.Ordinal);

        Rewrite(file, """{ "Tenants": { "acme": { "Enabled": false } } }""", minutes: 2);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(registry.Admit("acme", out var refusal, out string reason));
        Assert.Equal((StatusCode.PermissionDenied, "tenant-disabled"), (refusal.StatusCode, reason));
        Assert.Equal(1, _logs.Count("TenantRegistryReloaded"));
    }

    [Fact]
    public void RegisteredTenants_HaveTheirRefusalSeriesAtZero_AndSoDoesATenantTheFileGainsLater()
    {
        string file = Write(AcmeAdmitted);
        using var registry = Registry(file);
        using var meters = new TestMeterFactory();
        using var refused = new MetricCollector<long>(meters, CollectorMetrics.MeterName, "convoy.collector.batches.refused");
        using var metrics = new CollectorMetrics(meters, registry);
        Assert.Equal(["acme"], Tenants(refused));

        Rewrite(file, """{ "Tenants": { "acme": {}, "globex": {} } }""", minutes: 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(registry.Admit("globex", out _, out _));

        Assert.Equal(["acme", "globex"], Tenants(refused));
        Assert.All(refused.GetMeasurementSnapshot(), static m => Assert.Equal(0, m.Value));
    }

    [Fact]
    public void WithoutAFile_EveryTenantIsAdmitted()
    {
        using var registry = new TenantRegistry(Options.Create(new CollectorOptions()), _time, _logs.For<TenantRegistry>());

        Assert.NotNull(registry.Admit("anyone", out _, out _));
    }

    private static IEnumerable<string> Tenants(MetricCollector<long> refused) =>
        refused.GetMeasurementSnapshot().Select(static m => (string)m.Tags["tenant"]!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private TenantRegistry Registry(string file) =>
        new(Options.Create(new CollectorOptions { TenantsFile = file }), _time, _logs.For<TenantRegistry>());

    private string Write(string json)
    {
        string file = _folder.File("tenants.json");
        File.WriteAllText(file, json);
        return file;
    }

    /// <summary>Replaces the file with a write time of its own, as an operator's edit does.</summary>
    private static void Rewrite(string file, string json, int minutes)
    {
        File.WriteAllText(file, json);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(minutes));
    }

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }
}
