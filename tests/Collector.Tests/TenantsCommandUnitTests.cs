using Convoy.Collector.Tenancy;
using Convoy.Tenancy;

namespace Convoy.Collector.Tests;

/// <summary>
/// <c>tenants list|check|add|disable|enable</c>: the registry file changed only into one the
/// collector accepts, in place at once; 0 done, 1 refused or invalid, 2 bad usage.
/// </summary>
public sealed class TenantsCommandUnitTests : IDisposable
{
    private readonly TempFolder _folder = new("tenants-command");
    private readonly StringWriter _output = new();
    private readonly StringWriter _errors = new();

    private string File => _folder.File("tenants.json");

    public void Dispose()
    {
        _folder.Dispose();
        _output.Dispose();
        _errors.Dispose();
    }

    [Fact]
    public void AddDisableEnable_ChangeTheFileIntoOneTheCollectorReads_AndListShowsIt()
    {
        Assert.Equal(0, Run("add", File, "acme", "--name", "ACME Cold Chain", "--readings-per-second", "50000", "--max-streams", "500"));
        Assert.Equal(0, Run("add", File, "globex", "--positions-days", "30", "--alerts-days", "400", "--isolation", "SharedTables"));
        Assert.Equal(0, Run("disable", File, "globex"));

        var registry = TenantRegistryFile.Read(File);
        Assert.False(registry.Open);
        Assert.Equal("ACME Cold Chain", registry.Tenants["acme"].DisplayName);
        Assert.Equal(50000, registry.Tenants["acme"].Quota!.ReadingsPerSecond);
        Assert.Equal(500, registry.Tenants["acme"].Quota!.MaxStreams);
        Assert.True(registry.Tenants["acme"].Enabled);
        Assert.False(registry.Tenants["globex"].Enabled);
        Assert.Null(registry.Tenants["globex"].Quota);
        Assert.Equal((30, 0, 400), (registry.Tenants["globex"].Retention!.PositionsDays, registry.Tenants["globex"].Retention!.RollupsDays, registry.Tenants["globex"].Retention!.AlertsDays));
        Assert.Equal(ClickHouseIsolation.SharedTables, registry.Tenants["globex"].Store!.Isolation);

        Assert.Equal(0, Run("list", File));
        Assert.Contains("acme\tenabled\t50000 readings/s, 500 streams\tdefault retention\tdefault isolation\tACME Cold Chain", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("globex\tDISABLED\tdefault quota\tdays kept 30/default/400\tSharedTables\t", _output.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, Run("enable", File, "globex"));
        Assert.True(TenantRegistryFile.Read(File).Tenants["globex"].Enabled);
        Assert.Equal(0, Run("check", File));
        Assert.Contains("valid, 2 tenant(s) (0 disabled), registry closed", _output.ToString(), StringComparison.Ordinal);
        // Nothing is left beside the file.
        Assert.Equal(["tenants.json"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Add_KeepsWhatTheFileAlreadyHad()
    {
        System.IO.File.WriteAllText(File, """
            // the platform's tenants
            { "open": false, "Default": { "ReadingsPerSecond": 1000 },
              "tenants": { "acme": { "DisplayName": "ACME", "Topic": { "Partitions": 12 } } } }
            """);

        Assert.Equal(0, Run("add", File, "globex"));

        var registry = TenantRegistryFile.Read(File);
        Assert.Equal(1000, registry.Default.ReadingsPerSecond);
        Assert.Equal(12, registry.Tenants["acme"].Topic!.Partitions);
        Assert.Equal(["acme", "globex"], registry.Tenants.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Refusals_Exit1_SayWhy_AndLeaveTheFileAsItWas()
    {
        Assert.Equal(0, Run("add", File, "acme"));
        string before = System.IO.File.ReadAllText(File);

        Assert.Equal(1, Run("add", File, "acme"));
        Assert.Equal(1, Run("add", File, "ACME!"));
        Assert.Equal(1, Run("add", File, "initech", "--readings-per-second", "-5"));
        Assert.Equal(1, Run("add", File, "initech", "--positions-days", "-1"));
        Assert.Equal(2, Run("add", File, "initech", "--isolation", "Sideways"));
        Assert.Equal(1, Run("disable", File, "umbrella"));

        Assert.Equal(before, System.IO.File.ReadAllText(File));
        string why = _errors.ToString();
        Assert.Contains("tenant acme is already registered", why, StringComparison.Ordinal);
        Assert.Contains("'ACME!' is not a tenant id: 1..63 characters of [a-z0-9-]", why, StringComparison.Ordinal);
        Assert.Contains($"{File}: Tenant registry 'Tenants:initech:Quota:ReadingsPerSecond' must be at least 1, was -5.", why, StringComparison.Ordinal);
        Assert.Contains("tenant umbrella is not registered", why, StringComparison.Ordinal);
        Assert.Equal(["tenants.json"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Check_AnInvalidFile_Exits1NamingEveryBadKey_AndAMissingFileOrBadUsageExits2()
    {
        System.IO.File.WriteAllText(File, """{ "Tenants": { "acme": { "Quota": { "ReadingsPerSecond": -5, "MaxStreams": 0 } } } }""");

        Assert.Equal(1, Run("check", File));
        Assert.Contains("'Tenants:acme:Quota:ReadingsPerSecond' must be at least 1, was -5.", _errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("'Tenants:acme:Quota:MaxStreams' must be at least 1, was 0.", _errors.ToString(), StringComparison.Ordinal);

        Assert.Equal(2, Run("check", _folder.File("missing.json")));
        Assert.Equal(2, Run("remove", File, "acme"));
        Assert.Equal(2, Run());
        Assert.Equal(0, Run("--help"));
    }

    private int Run(params string[] args) => TenantsCommand.Run(args, _output, _errors);
}
