using Convoy.EdgeAgent.Inputs.Mqtt;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests.Mqtt;

public sealed class MqttOptionsUnitTests
{
    [Fact]
    public void Validate_Defaults_SubscribeToConvoySensorsWithTheDeviceClientId()
    {
        var options = new MqttOptions { Enabled = true };
        options.Validated("truck-7");

        Assert.Equal(["convoy/sensors/#"], options.Topics);
        Assert.Equal("convoy-edge-truck-7", options.ClientId);
        Assert.Equal("ReeferZone1", options.Sensors["reefer.zone1.temperature"]);
        Assert.Equal(14, options.CreateCatalog().NameCount); // the 14 defaults and nothing else
    }

    [Fact]
    public void Validate_ConfiguredSensor_OverridesTheDefault()
    {
        var options = new MqttOptions { Enabled = true };
        options.Sensors["fuel.level"] = "Ignore";
        options.Validated("truck-7");

        Assert.True(options.CreateCatalog().TryFind("fuel.level", out int column));
        Assert.Equal(Inputs.SensorCatalog.Ignored, column);
    }

    [Theory]
    [InlineData("Topics:0", "convoy/#/sensors")]
    [InlineData("Topics:0", "convoy/sens+rs")]
    [InlineData("Sensors:tyre.pressure", "Pressure")]
    [InlineData("Sensors:reefer.zone9", "ReeferZone9")]
    [InlineData("Port", "0")]
    [InlineData("ReconnectDelay", "-1")]
    public void Validate_BadSetting_ThrowsNamingTheKey(string key, string value)
    {
        var options = new MqttOptions { Enabled = true };
        switch (key)
        {
            case "Topics:0":
                options.Topics.Add(value);
                break;
            case "Port":
                options.Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "ReconnectDelay":
                options.ReconnectDelay = TimeSpan.FromSeconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                options.Sensors[key["Sensors:".Length..]] = value;
                break;
        }

        var e = Assert.Throws<OptionsValidationException>(() => options.Validated("truck-7"));
        Assert.Contains($"'EdgeAgent:Mqtt:{key}'", e.Message, StringComparison.Ordinal);
    }
}
