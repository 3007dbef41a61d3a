using Convoy.Collector.Tenancy;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tests;

/// <summary>A tenant file that does not validate names the key that is wrong.</summary>
public sealed class TenantRegistryOptionsUnitTests
{
    [Theory]
    [InlineData("Partitions", "Tenants:acme:Topic:Partitions")]
    [InlineData("ReplicationFactor", "Tenants:acme:Topic:ReplicationFactor")]
    [InlineData("MaxInFlightBytes", "Tenants:acme:Quota:MaxInFlightBytes")]
    public void Validate_ABadTenantSetting_NamesItsKey(string setting, string key)
    {
        var tenant = new TenantOptions { Quota = new TenantQuota(), Topic = new TenantTopic() };
        switch (setting)
        {
            case "Partitions": tenant.Topic.Partitions = 0; break;
            case "ReplicationFactor": tenant.Topic.ReplicationFactor = 0; break;
            default: tenant.Quota.MaxInFlightBytes = 1000; break;
        }

        var registry = new TenantRegistryOptions();
        registry.Tenants["acme"] = tenant;

        var error = Assert.Throws<OptionsValidationException>(registry.Validate);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
