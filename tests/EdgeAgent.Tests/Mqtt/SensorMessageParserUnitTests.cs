using System.Buffers;
using System.Text;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;

namespace Convoy.EdgeAgent.Tests.Mqtt;

public sealed class SensorMessageParserUnitTests
{
    private static readonly long Now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private readonly SensorCatalog _catalog;
    private readonly SensorMessageParser _parser;

    public SensorMessageParserUnitTests()
    {
        var options = new MqttOptions { Enabled = true };
        options.Sensors["compressor.current"] = "Custom";
        options.Sensors["cab.temperature"] = "Ignore";
        options.Sensors["reefer.zone1.backup"] = "ReeferZone1";
        options.Validated("truck-1");
        _catalog = options.CreateCatalog();
        _parser = new SensorMessageParser(_catalog, options);
    }

    [Theory]
    [InlineData("""{"sensor":"reefer.zone1.temperature","value":-18.5,"timestamp":"2026-11-23T11:59:58.250Z"}""", -18.5f, "2026-11-23T11:59:58.250Z")]
    [InlineData("""{"timestamp":1795435198250,"value":-18.5,"sensor":"reefer.zone1.temperature"}""", -18.5f, "2026-11-23T11:59:58.250Z")]
    [InlineData("""{"sensor":"reefer.zone1.temperature","value":2,"timestamp":"2026-11-23T13:59:58.250+02:00","unit":"C","meta":{"probe":[1,2]}}""", 2f, "2026-11-23T11:59:58.250Z")]
    [InlineData("""{"sensor":"reefer\u002ezone1.temperature","value":1e1,"timestamp":1.79543519825e12}""", 10f, "2026-11-23T11:59:58.250Z")]
    public void Parse_GoodMessage_GivesTheReading(string json, float value, string time)
    {
        var outcome = _parser.Parse(Payload(json), Now, out var reading);

        Assert.Equal(MqttOutcome.Accepted, outcome);
        Assert.Equal(value, reading.Value);
        Assert.Equal(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), reading.UnixTimeMs);
        var column = _catalog.Columns[reading.Column];
        Assert.Equal(SensorColumnKind.Temperature, column.Kind);
        Assert.Equal(1u, column.Zone);
    }

    [Fact]
    public void Parse_KindsOfTheContract_MapToTheirColumns()
    {
        Assert.Equal(SensorColumnKind.FuelLevel, ColumnOf("""{"sensor":"fuel.level","value":55.5,"timestamp":1795435198000}""").Kind);
        Assert.Equal(ScalarKind.EngineRpm, ColumnOf("""{"sensor":"engine.rpm","value":1500,"timestamp":1795435198000}""").Scalar);
        Assert.Equal(ScalarKind.ReeferDoorOpen, ColumnOf("""{"sensor":"reefer.door","value":true,"timestamp":1795435198000}""").Scalar);
        var custom = ColumnOf("""{"sensor":"compressor.current","value":12.5,"timestamp":1795435198000}""");
        Assert.Equal((ScalarKind.Custom, "compressor.current"), (custom.Scalar, custom.CustomName));
        // Two names for the same zone share one column: the contract allows one column set per zone.
        Assert.Same(ColumnOf("""{"sensor":"reefer.zone1.temperature","value":1,"timestamp":1795435198000}"""),
            ColumnOf("""{"sensor":"reefer.zone1.backup","value":1,"timestamp":1795435198000}"""));
    }

    [Theory]
    [InlineData("", nameof(MqttOutcome.NotJson))]
    [InlineData("hello", nameof(MqttOutcome.NotJson))]
    [InlineData("[1,2]", nameof(MqttOutcome.NotJson))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":1795435198000""", nameof(MqttOutcome.NotJson))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":1795435198000}{}""", nameof(MqttOutcome.NotJson))]
    [InlineData("""{"sensor":"fuel.level","value":NaN,"timestamp":1795435198000}""", nameof(MqttOutcome.NotFinite))]
    [InlineData("""{"sensor":"fuel.level","value":"NaN","timestamp":1795435198000}""", nameof(MqttOutcome.NotFinite))]
    [InlineData("""{"sensor":"fuel.level","value":1e400,"timestamp":1795435198000}""", nameof(MqttOutcome.NotFinite))]
    [InlineData("""{"sensor":"compressor.current","value":1e39,"timestamp":1795435198000}""", nameof(MqttOutcome.NotFinite))]
    [InlineData("""{"value":5,"timestamp":1795435198000}""", nameof(MqttOutcome.MissingField))]
    [InlineData("""{"sensor":"fuel.level","timestamp":1795435198000}""", nameof(MqttOutcome.MissingField))]
    [InlineData("""{"sensor":"fuel.level","value":5}""", nameof(MqttOutcome.MissingField))]
    [InlineData("""{"sensor":42,"value":5,"timestamp":1795435198000}""", nameof(MqttOutcome.BadField))]
    [InlineData("""{"sensor":"fuel.level","value":"5","timestamp":1795435198000}""", nameof(MqttOutcome.BadField))]
    [InlineData("""{"sensor":"fuel.level","value":{"v":5},"timestamp":1795435198000}""", nameof(MqttOutcome.BadField))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":null}""", nameof(MqttOutcome.BadField))]
    [InlineData("""{"sensor":"tyre.pressure","value":5,"timestamp":1795435198000}""", nameof(MqttOutcome.UnknownSensor))]
    [InlineData("""{"sensor":"Fuel.Level","value":5,"timestamp":1795435198000}""", nameof(MqttOutcome.UnknownSensor))]
    [InlineData("""{"sensor":"cab.temperature","value":21,"timestamp":1795435198000}""", nameof(MqttOutcome.Ignored))]
    [InlineData("""{"sensor":"fuel.level","value":100.5,"timestamp":1795435198000}""", nameof(MqttOutcome.OutOfRange))]
    [InlineData("""{"sensor":"reefer.zone2.temperature","value":-273,"timestamp":1795435198000}""", nameof(MqttOutcome.OutOfRange))]
    [InlineData("""{"sensor":"reefer.door","value":0.5,"timestamp":1795435198000}""", nameof(MqttOutcome.OutOfRange))]
    [InlineData("""{"sensor":"battery.voltage","value":-1,"timestamp":1795435198000}""", nameof(MqttOutcome.OutOfRange))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":"yesterday"}""", nameof(MqttOutcome.BadTimestamp))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":"2026-11-23T11:59:58"}""", nameof(MqttOutcome.BadTimestamp))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":1e300}""", nameof(MqttOutcome.BadTimestamp))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":1795435198}""", nameof(MqttOutcome.AbsurdTimestamp))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":"2026-11-23T12:10:00Z"}""", nameof(MqttOutcome.AbsurdTimestamp))]
    [InlineData("""{"sensor":"fuel.level","value":5,"timestamp":"2026-11-01T12:00:00Z"}""", nameof(MqttOutcome.AbsurdTimestamp))]
    public void Parse_BadMessage_IsRefusedWithItsReason(string json, string expected)
    {
        Assert.Equal(expected, _parser.Parse(Payload(json), Now, out _).ToString());
    }

    /// <summary>
    /// Found by fuzzing (tests/fuzz/corpus/mqtt/crash-*): a sensor name that is not text, as raw
    /// bytes that are not UTF-8 or as an escaped lone surrogate, threw out of the parser instead of
    /// being refused and counted.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0x65, 0x65, 0x2e, 0x72, 0x70, 0x6d, 0x83 })] // "ee.rpm" and a lone continuation byte
    [InlineData(new byte[] { 0x66, 0x75, 0x65, 0x6c, 0xf3, 0x2e })] // a 4-byte sequence cut short
    [InlineData(new byte[] { 0x66, 0x75, 0x65, 0x6c, 0x5c, 0x75, 0x64, 0x38, 0x30, 0x30 })] // "fuel\ud800"
    public void Parse_SensorNameThatIsNotText_IsABadField(byte[] name)
    {
        byte[] payload = [.. "{\"sensor\":\""u8, .. name, .. "\",\"value\":1500,\"timestamp\":1795435198000}"u8];

        Assert.Equal(MqttOutcome.BadField, _parser.Parse(new ReadOnlySequence<byte>(payload), Now, out _));
    }

    [Fact]
    public void Parse_PayloadOverTheLimit_IsRefusedUnread()
    {
        string padding = new('x', 5000);
        Assert.Equal(MqttOutcome.Oversized, _parser.Parse(Payload($$"""{"sensor":"fuel.level","value":5,"timestamp":1795435198000,"pad":"{{padding}}"}"""), Now, out _));
    }

    [Fact]
    public void Parse_PayloadInSeveralSegments_ReadsAsOne()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("""{"sensor":"reefer.zone1.temperature","value":-18.5,"timestamp":1795435198250}""");
        var first = new Segment(bytes.AsMemory(0, 17));
        var last = first.Append(bytes.AsMemory(17));

        var outcome = _parser.Parse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), Now, out var reading);

        Assert.Equal(MqttOutcome.Accepted, outcome);
        Assert.Equal(-18.5f, reading.Value);
    }

    [Fact]
    public void Parse_GoodMessage_AllocatesNothing()
    {
        var payload = Payload("""{"sensor":"reefer.zone1.temperature","value":-18.5,"timestamp":"2026-11-23T11:59:58.250Z"}""");
        _parser.Parse(payload, Now, out _); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            _parser.Parse(payload, Now, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private SensorColumn ColumnOf(string json)
    {
        Assert.Equal(MqttOutcome.Accepted, _parser.Parse(Payload(json), Now, out var reading));
        return _catalog.Columns[reading.Column];
    }

    private static ReadOnlySequence<byte> Payload(string json) => new(Encoding.UTF8.GetBytes(json));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
