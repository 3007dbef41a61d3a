using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.Options;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

public sealed class NmeaOptionsUnitTests
{
    [Fact]
    public void Defaults_AreValid_AndReadGpsdOnTheGateway()
    {
        var options = new NmeaOptions();

        options.Validated();

        Assert.Equal((NmeaSourceKind.Tcp, "127.0.0.1", 2947, true), (options.Source, options.Host, options.Port, options.GpsdWatch));
    }

    [Fact]
    public void Validate_BadPort_NamesTheKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new NmeaOptions { Port = 0 }.Validated());

        Assert.Contains("EdgeAgent:Nmea:Port", e.Message, StringComparison.Ordinal);
        Assert.Contains("1..65535", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonStandardBaudRate_NamesTheKeyAndTheChoices()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new NmeaOptions { Source = NmeaSourceKind.Serial, BaudRate = 1234 }.Validated());

        Assert.Contains("EdgeAgent:Nmea:BaudRate", e.Message, StringComparison.Ordinal);
        Assert.Contains("4800", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReplayOfAMissingFile_NamesThePath()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new NmeaOptions { Source = NmeaSourceKind.File, Path = "/nowhere/gps.log" }.Validated());

        Assert.Contains("EdgeAgent:Nmea:Path", e.Message, StringComparison.Ordinal);
        Assert.Contains("/nowhere/gps.log", e.Message, StringComparison.Ordinal);
        new NmeaOptions { Source = NmeaSourceKind.File, Path = Garmin }.Validated();
    }

    [Fact]
    public void Validate_ReconnectDelayAboveItsMaximum_NamesTheKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() =>
            new NmeaOptions { ReconnectDelay = TimeSpan.FromMinutes(5), ReconnectMaxDelay = TimeSpan.FromMinutes(1) }.Validated());

        Assert.Contains("EdgeAgent:Nmea:ReconnectDelay", e.Message, StringComparison.Ordinal);
    }
}
