using System.Runtime.InteropServices;
using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.Collector.Tests;

public sealed class BatchViewUnitTests
{
    [Fact]
    public void TryRead_EncodedBatch_ViewsEveryColumnInPlace()
    {
        var batch = new TelemetryBatch { TenantId = "acme", DeviceId = "truck-1", Sequence = 42, BaseTimeUnixMs = -5, Gps = new GpsColumns() };
        batch.Gps.OffsetMs.Add([0, 1000]);
        batch.Gps.LatitudeDeg.Add([52.1, -33.9]);
        batch.Gps.LongitudeDeg.Add([4.1, 151.2]);
        batch.Gps.SpeedKmh.Add([80f, 0f]);
        batch.Gps.HeadingDeg.Add([90f, 180f]);
        for (uint zone = 1; zone <= 2; zone++)
        {
            var column = new TemperatureColumns { Zone = zone };
            column.OffsetMs.Add([0, 500, 900]);
            column.TemperatureC.Add([zone, float.NaN, -0f]);
            batch.Temperatures.Add(column);
        }

        batch.Fuel = new FuelColumns { TankCapacityL = 600 };
        batch.Fuel.OffsetMs.Add(7);
        batch.Fuel.LevelPercent.Add(55.5f);
        var custom = new ScalarColumns { Kind = ScalarKind.Custom, Name = "axle-2-kg" };
        custom.OffsetMs.Add(3);
        custom.Value.Add(7200f);
        batch.Scalars.Add(custom);
        byte[] payload = batch.ToByteArray();

        Assert.True(BatchView.TryRead(payload, out var view, out string? problem), problem);

        Assert.Equal("acme"u8, view.TenantId);
        Assert.Equal("truck-1"u8, view.DeviceId);
        Assert.Equal(42UL, view.Sequence);
        Assert.Equal(-5L, view.BaseTimeUnixMs);
        Assert.True(view.HasGps);
        Assert.Equal([52.1, -33.9], view.Gps.LatitudeDeg.ToArray());
        Assert.Equal([0u, 1000u], view.Gps.OffsetMs.ToArray());
        Assert.True(payload.AsSpan().Overlaps(MemoryMarshal.AsBytes(view.Gps.LongitudeDeg)), "columns must be views of the payload, not copies");
        Assert.Equal(2, view.TemperatureCount);
        var zones = new List<(uint Zone, float[] Values)>();
        foreach (var column in view.Temperatures)
        {
            zones.Add((column.Zone, column.TemperatureC.ToArray()));
        }

        Assert.Equal([1u, 2u], zones.Select(z => z.Zone));
        Assert.True(float.IsNaN(zones[1].Values[1]));
        Assert.True(float.IsNegative(zones[1].Values[2]));
        Assert.True(view.HasFuel);
        Assert.Equal(600f, view.Fuel.TankCapacityL);
        Assert.Equal([55.5f], view.Fuel.LevelPercent.ToArray());
        foreach (var scalar in view.Scalars)
        {
            Assert.Equal(ScalarKind.Custom, scalar.Kind);
            Assert.Equal("axle-2-kg"u8, scalar.Name);
            Assert.Equal([7200f], scalar.Value.ToArray());
        }
    }

    [Fact]
    public void TryRead_UnknownFields_AreSkipped()
    {
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString("truck-1");
        output.WriteTag(99, WireFormat.WireType.Varint); // a field from a newer v1
        output.WriteUInt64(12345);
        output.WriteTag(3, WireFormat.WireType.Varint);
        output.WriteUInt64(7);
        output.Flush();

        Assert.True(BatchView.TryRead(bytes.ToArray(), out var view, out _));
        Assert.Equal(7UL, view.Sequence);
    }

    /// <summary>
    /// Found by fuzzing (tests/fuzz/corpus/batch-reader/crash-*): the reader accepted strings that
    /// protobuf refuses, so the collector could write to Kafka a batch a consumer cannot decode.
    /// </summary>
    [Theory]
    [InlineData("device id not UTF-8")]
    [InlineData("scalar name not UTF-8")]
    [InlineData("an earlier device id not UTF-8")]
    public void TryRead_StringThatIsNotUtf8_IsRefusedAsProtobufRefusesIt(string defect)
    {
        byte[] payload = Encode(defect);

        Assert.False(BatchView.TryRead(payload, out _, out _));
        Assert.Throws<InvalidProtocolBufferException>(() => TelemetryBatch.Parser.ParseFrom(payload));
    }

    /// <summary>
    /// Found by fuzzing: a zone sent as a varint longer than 32 bits read as uint.MaxValue here and
    /// as its low 32 bits in protobuf; the collector must check the zone the consumers will see.
    /// </summary>
    [Fact]
    public void TryRead_ZoneBeyond32Bits_ReadsAsProtobufReadsIt()
    {
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString("truck-1");
        output.WriteTag(6, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Nested(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteUInt64((1UL << 32) + 2);
        }));
        output.Flush();
        byte[] payload = bytes.ToArray();

        Assert.True(BatchView.TryRead(payload, out var view, out string? problem), problem);
        uint zone = 0;
        foreach (var temperatures in view.Temperatures)
        {
            zone = temperatures.Zone;
        }

        Assert.Equal(TelemetryBatch.Parser.ParseFrom(payload).Temperatures[0].Zone, zone);
        Assert.Equal(2u, zone);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "unpacked offsets", "gps.offset_ms is not packed" },
        { "column in two pieces", "temperatures[0].temperature_c is written in more than one piece" },
        { "gps twice", "gps appears twice" },
        { "truncated", "truncated" },
        { "sequence as string", "field 3 of TelemetryBatch has wire type 2" },
        { "ragged doubles", "gps.latitude_deg holds 12 bytes, not a whole number of 8-byte values" },
        { "garbage", "not valid protobuf" },
        { "device id not UTF-8", "device_id is not valid UTF-8" },
        { "scalar name not UTF-8", "scalars[0].name is not valid UTF-8" },
        { "an earlier device id not UTF-8", "device_id is not valid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryRead_MalformedBatch_IsRefusedWithAMessageNamingTheField(string defect, string expected)
    {
        byte[] payload = Encode(defect);

        bool read = BatchView.TryRead(payload, out _, out string? problem);

        Assert.False(read);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    private static byte[] Encode(string defect)
    {
        if (defect == "garbage")
        {
            return [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        }

        if (defect == "truncated")
        {
            var whole = new TelemetryBatch { DeviceId = "truck-1", Sequence = 1, Gps = new GpsColumns { OffsetMs = { 1, 2 }, LatitudeDeg = { 1, 2 } } }.ToByteArray();
            return whole[..^3];
        }

        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        if (defect == "an earlier device id not UTF-8")
        {
            // protobuf decodes every occurrence of a string, though only the last one counts
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(0x74, 0x72, 0xFF));
        }

        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString("truck-1");
        switch (defect)
        {
            case "unpacked offsets":
                output.WriteTag(5, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(Nested(o =>
                {
                    o.WriteTag(1, WireFormat.WireType.Fixed32);
                    o.WriteFixed32(0);
                }));
                break;
            case "column in two pieces":
                output.WriteTag(6, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(Nested(o =>
                {
                    o.WriteTag(1, WireFormat.WireType.Varint);
                    o.WriteUInt32(1);
                    o.WriteTag(3, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(BitConverter.GetBytes(1f)));
                    o.WriteTag(3, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(BitConverter.GetBytes(2f)));
                }));
                break;
            case "gps twice":
                output.WriteTag(5, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.Empty);
                output.WriteTag(5, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.Empty);
                break;
            case "sequence as string":
                output.WriteTag(3, WireFormat.WireType.LengthDelimited);
                output.WriteString("1");
                break;
            case "ragged doubles":
                output.WriteTag(5, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(Nested(o =>
                {
                    o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(new byte[12]));
                }));
                break;
            case "device id not UTF-8":
                output.WriteTag(2, WireFormat.WireType.LengthDelimited); // the last device_id counts
                output.WriteBytes(ByteString.CopyFrom(0x74, 0x72, 0xFF));
                break;
            case "scalar name not UTF-8":
                output.WriteTag(8, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(Nested(o =>
                {
                    o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    o.WriteBytes(ByteString.CopyFrom(0x61, 0xC3)); // a two-byte sequence cut short
                }));
                break;
            case "an earlier device id not UTF-8":
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        output.Flush();
        return bytes.ToArray();
    }

    private static ByteString Nested(Action<CodedOutputStream> write)
    {
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(bytes.ToArray());
    }
}
