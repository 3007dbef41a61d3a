using System.Runtime.InteropServices;
using Convoy.Contracts.Telemetry.V1;

namespace Convoy.Contracts.Telemetry;

/// <summary>
/// A <c>convoy.telemetry.v1.TelemetryBatch</c> read in place: its columns are spans over the
/// encoded bytes (packed fixed-width fields are little-endian arrays on the wire), so reading a
/// batch allocates nothing and copies no reading. <see cref="TryRead"/> checks the whole
/// structure once; after it returned true every view and enumerator is well-formed.
/// </summary>
/// <remarks>
/// Columns must be written packed and whole, as every protobuf library writes proto3 repeated
/// scalars by default. The wire format also allows unpacked or split columns; those cannot be
/// read in place and are refused with a message saying so.
/// </remarks>
public readonly ref struct BatchView
{
    private readonly ReadOnlySpan<byte> _payload;

    private BatchView(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> tenantId, ReadOnlySpan<byte> deviceId, ulong sequence, long baseTimeUnixMs,
        GpsView gps, bool hasGps, FuelView fuel, bool hasFuel, int temperatureCount, int scalarCount)
    {
        _payload = payload;
        TenantId = tenantId;
        DeviceId = deviceId;
        Sequence = sequence;
        BaseTimeUnixMs = baseTimeUnixMs;
        Gps = gps;
        HasGps = hasGps;
        Fuel = fuel;
        HasFuel = hasFuel;
        TemperatureCount = temperatureCount;
        ScalarCount = scalarCount;
    }

    /// <summary>tenant_id, UTF-8; empty when absent.</summary>
    public ReadOnlySpan<byte> TenantId { get; }

    /// <summary>device_id, UTF-8.</summary>
    public ReadOnlySpan<byte> DeviceId { get; }

    public ulong Sequence { get; }

    public long BaseTimeUnixMs { get; }

    public GpsView Gps { get; }

    public bool HasGps { get; }

    public FuelView Fuel { get; }

    public bool HasFuel { get; }

    public int TemperatureCount { get; }

    public int ScalarCount { get; }

    /// <summary>The temperature column sets, in wire order.</summary>
    public TemperatureEnumerator Temperatures => new(_payload);

    /// <summary>The scalar column sets, in wire order.</summary>
    public ScalarEnumerator Scalars => new(_payload);

    /// <summary>
    /// Reads <paramref name="payload"/>. On failure <paramref name="problem"/> says what is wrong
    /// with which field, for a human; on success it is null.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out BatchView batch, out string? problem)
    {
        batch = default;
        problem = null;
        if (!BitConverter.IsLittleEndian)
        {
            problem = "this collector runs on a big-endian machine, which cannot read columns in place";
            return false;
        }

        var reader = new WireReader(payload);
        ReadOnlySpan<byte> tenant = default, device = default;
        ulong sequence = 0;
        long baseTime = 0;
        GpsView gps = default;
        FuelView fuel = default;
        bool hasGps = false, hasFuel = false;
        int temperatures = 0, scalars = 0;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire))
            {
                problem = "the message is not valid protobuf (bad field tag)";
                return false;
            }

            ReadOnlySpan<byte> nested;
            switch (field)
            {
                case 1 when wire == WireReader.LengthDelimited:
                    if ((problem = Text(ref reader, "tenant_id", out tenant)) is not null)
                    {
                        return false;
                    }

                    break;
                case 2 when wire == WireReader.LengthDelimited:
                    if ((problem = Text(ref reader, "device_id", out device)) is not null)
                    {
                        return false;
                    }

                    break;
                case 3 when wire == WireReader.Varint:
                    if (!reader.TryReadVarint(out sequence))
                    {
                        problem = Truncated("sequence");
                        return false;
                    }

                    break;
                case 4 when wire == WireReader.Varint:
                    if (!reader.TryReadVarint(out ulong raw))
                    {
                        problem = Truncated("base_time_unix_ms");
                        return false;
                    }

                    baseTime = unchecked((long)raw);
                    break;
                case 5 when wire == WireReader.LengthDelimited:
                    if (hasGps)
                    {
                        problem = "gps appears twice; send one gps column set per batch";
                        return false;
                    }

                    if (!reader.TryReadLengthDelimited(out nested) || (problem = GpsView.TryRead(nested, out gps)) is not null)
                    {
                        problem ??= Truncated("gps");
                        return false;
                    }

                    hasGps = true;
                    break;
                case 6 when wire == WireReader.LengthDelimited:
                    if (!reader.TryReadLengthDelimited(out nested) || (problem = TemperatureView.TryRead(nested, temperatures, out _)) is not null)
                    {
                        problem ??= Truncated($"temperatures[{temperatures}]");
                        return false;
                    }

                    temperatures++;
                    break;
                case 7 when wire == WireReader.LengthDelimited:
                    if (hasFuel)
                    {
                        problem = "fuel appears twice; send one fuel column set per batch";
                        return false;
                    }

                    if (!reader.TryReadLengthDelimited(out nested) || (problem = FuelView.TryRead(nested, out fuel)) is not null)
                    {
                        problem ??= Truncated("fuel");
                        return false;
                    }

                    hasFuel = true;
                    break;
                case 8 when wire == WireReader.LengthDelimited:
                    if (!reader.TryReadLengthDelimited(out nested) || (problem = ScalarView.TryRead(nested, scalars, out _)) is not null)
                    {
                        problem ??= Truncated($"scalars[{scalars}]");
                        return false;
                    }

                    scalars++;
                    break;
                case >= 1 and <= 8:
                    problem = $"field {field} of TelemetryBatch has wire type {wire}, which its type does not allow";
                    return false;
                default:
                    if (!reader.TrySkip(wire))
                    {
                        problem = $"the message is not valid protobuf (unknown field {field} cannot be skipped)";
                        return false;
                    }

                    break;
            }
        }

        batch = new BatchView(payload, tenant, device, sequence, baseTime, gps, hasGps, fuel, hasFuel, temperatures, scalars);
        return true;
    }

    internal static string Truncated(string field) => $"{field} is truncated or not valid protobuf";

    /// <summary>
    /// A string field. proto3 strings are UTF-8 and protobuf refuses a message with one that is
    /// not, every occurrence counted (the last one wins, but each is decoded): the collector writes
    /// the bytes to Kafka as they came, so it must not accept what a consumer decoding them with
    /// protobuf cannot read.
    /// </summary>
    internal static string? Text(scoped ref WireReader reader, string field, out ReadOnlySpan<byte> text)
    {
        if (!reader.TryReadLengthDelimited(out text))
        {
            return Truncated(field);
        }

        return System.Text.Unicode.Utf8.IsValid(text) ? null : NotText(field);
    }

    internal static string NotText(string field) => $"{field} is not valid UTF-8, which a protobuf string must be";

    internal static string Truncated(FieldName field) => Truncated(field.ToString());

    /// <summary>A packed column: one length-delimited field, read once, a whole number of elements.</summary>
    internal static string? Column<T>(ref WireReader reader, int wire, ref ReadOnlySpan<T> column, ref bool seen, FieldName name)
        where T : unmanaged
    {
        if (wire != WireReader.LengthDelimited)
        {
            return $"{name} is not packed; write columns packed (the proto3 default)";
        }

        if (seen)
        {
            return $"{name} is written in more than one piece; write each column once, packed";
        }

        if (!reader.TryReadLengthDelimited(out var bytes))
        {
            return Truncated(name);
        }

        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes.Length % size != 0)
        {
            return $"{name} holds {bytes.Length} bytes, not a whole number of {size}-byte values";
        }

        column = MemoryMarshal.Cast<byte, T>(bytes);
        seen = true;
        return null;
    }

    /// <summary>Iterates the temperature column sets without allocating.</summary>
    public ref struct TemperatureEnumerator
    {
        private WireReader _reader;
        private int _index;

        internal TemperatureEnumerator(ReadOnlySpan<byte> payload)
        {
            _reader = new WireReader(payload);
            _index = -1;
            Current = default;
        }

        public TemperatureView Current { get; private set; }

        public readonly TemperatureEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (!_reader.AtEnd && _reader.TryReadTag(out int field, out int wire))
            {
                if (field == 6 && wire == WireReader.LengthDelimited && _reader.TryReadLengthDelimited(out var nested))
                {
                    _index++;
                    TemperatureView.TryRead(nested, _index, out var view);
                    Current = view;
                    return true;
                }

                _reader.TrySkip(wire);
            }

            return false;
        }
    }

    /// <summary>Iterates the scalar column sets without allocating.</summary>
    public ref struct ScalarEnumerator
    {
        private WireReader _reader;
        private int _index;

        internal ScalarEnumerator(ReadOnlySpan<byte> payload)
        {
            _reader = new WireReader(payload);
            _index = -1;
            Current = default;
        }

        public ScalarView Current { get; private set; }

        public readonly ScalarEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (!_reader.AtEnd && _reader.TryReadTag(out int field, out int wire))
            {
                if (field == 8 && wire == WireReader.LengthDelimited && _reader.TryReadLengthDelimited(out var nested))
                {
                    _index++;
                    ScalarView.TryRead(nested, _index, out var view);
                    Current = view;
                    return true;
                }

                _reader.TrySkip(wire);
            }

            return false;
        }
    }
}

/// <summary>GPS fixes as columns, in place.</summary>
public readonly ref struct GpsView
{
    public ReadOnlySpan<uint> OffsetMs { get; init; }

    public ReadOnlySpan<double> LatitudeDeg { get; init; }

    public ReadOnlySpan<double> LongitudeDeg { get; init; }

    public ReadOnlySpan<float> SpeedKmh { get; init; }

    public ReadOnlySpan<float> HeadingDeg { get; init; }

    /// <summary>Indexes of the fixes timed by the gateway rather than the receiver (usually empty).</summary>
    public ReadOnlySpan<uint> GatewayTimed { get; init; }

    internal static string? TryRead(ReadOnlySpan<byte> data, out GpsView gps)
    {
        gps = default;
        var reader = new WireReader(data);
        ReadOnlySpan<uint> offsets = default;
        ReadOnlySpan<double> latitude = default, longitude = default;
        ReadOnlySpan<float> speed = default, heading = default;
        ReadOnlySpan<uint> gatewayTimed = default;
        bool o = false, la = false, lo = false, s = false, h = false, g = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire))
            {
                return BatchView.Truncated("gps");
            }

            string? problem = field switch
            {
                1 => BatchView.Column(ref reader, wire, ref offsets, ref o, new FieldName("gps", -1, "offset_ms")),
                2 => BatchView.Column(ref reader, wire, ref latitude, ref la, new FieldName("gps", -1, "latitude_deg")),
                3 => BatchView.Column(ref reader, wire, ref longitude, ref lo, new FieldName("gps", -1, "longitude_deg")),
                4 => BatchView.Column(ref reader, wire, ref speed, ref s, new FieldName("gps", -1, "speed_kmh")),
                5 => BatchView.Column(ref reader, wire, ref heading, ref h, new FieldName("gps", -1, "heading_deg")),
                6 => BatchView.Column(ref reader, wire, ref gatewayTimed, ref g, new FieldName("gps", -1, "gateway_timed")),
                _ => reader.TrySkip(wire) ? null : BatchView.Truncated("gps"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        gps = new GpsView { OffsetMs = offsets, LatitudeDeg = latitude, LongitudeDeg = longitude, SpeedKmh = speed, HeadingDeg = heading, GatewayTimed = gatewayTimed };
        return null;
    }
}

/// <summary>One reefer zone's temperatures as columns, in place.</summary>
public readonly ref struct TemperatureView
{
    /// <summary>Position of this column set among the batch's temperatures (for messages).</summary>
    public int Index { get; init; }

    public uint Zone { get; init; }

    public ReadOnlySpan<uint> OffsetMs { get; init; }

    public ReadOnlySpan<float> TemperatureC { get; init; }

    /// <summary>Window summaries (empty when the truck does not aggregate this sensor by windows).</summary>
    public WindowView Windows { get; init; }

    internal static string? TryRead(ReadOnlySpan<byte> data, int index, out TemperatureView view)
    {
        view = default;
        var reader = new WireReader(data);
        ulong zone = 0;
        ReadOnlySpan<uint> offsets = default;
        ReadOnlySpan<float> values = default;
        WindowView windows = default;
        bool o = false, v = false, w = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire))
            {
                return BatchView.Truncated($"temperatures[{index}]");
            }

            string? problem = field switch
            {
                1 when wire == WireReader.Varint => reader.TryReadVarint(out zone) ? null : BatchView.Truncated(new FieldName("temperatures", index, "zone")),
                2 => BatchView.Column(ref reader, wire, ref offsets, ref o, new FieldName("temperatures", index, "offset_ms")),
                3 => BatchView.Column(ref reader, wire, ref values, ref v, new FieldName("temperatures", index, "temperature_c")),
                4 => WindowView.TryRead(ref reader, wire, ref windows, ref w, "temperatures", index),
                _ => reader.TrySkip(wire) ? null : BatchView.Truncated($"temperatures[{index}]"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        // A uint32 sent as a longer varint keeps its low 32 bits, as protobuf reads it: the zone checked
        // here is the zone every consumer of the batch sees.
        view = new TemperatureView { Index = index, Zone = unchecked((uint)zone), OffsetMs = offsets, TemperatureC = values, Windows = windows };
        return null;
    }
}

/// <summary>Fuel level as columns, in place.</summary>
public readonly ref struct FuelView
{
    public ReadOnlySpan<uint> OffsetMs { get; init; }

    public ReadOnlySpan<float> LevelPercent { get; init; }

    public float TankCapacityL { get; init; }

    /// <summary>Window summaries (empty when the truck does not aggregate the level by windows).</summary>
    public WindowView Windows { get; init; }

    internal static string? TryRead(ReadOnlySpan<byte> data, out FuelView fuel)
    {
        fuel = default;
        var reader = new WireReader(data);
        ReadOnlySpan<uint> offsets = default;
        ReadOnlySpan<float> levels = default;
        WindowView windows = default;
        uint capacity = 0;
        bool o = false, l = false, w = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire))
            {
                return BatchView.Truncated("fuel");
            }

            string? problem = field switch
            {
                1 => BatchView.Column(ref reader, wire, ref offsets, ref o, new FieldName("fuel", -1, "offset_ms")),
                2 => BatchView.Column(ref reader, wire, ref levels, ref l, new FieldName("fuel", -1, "level_percent")),
                3 when wire == WireReader.Fixed32 => reader.TryReadFixed32(out capacity) ? null : BatchView.Truncated("fuel.tank_capacity_l"),
                4 => WindowView.TryRead(ref reader, wire, ref windows, ref w, "fuel", -1),
                _ => reader.TrySkip(wire) ? null : BatchView.Truncated("fuel"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        fuel = new FuelView { OffsetMs = offsets, LevelPercent = levels, TankCapacityL = BitConverter.UInt32BitsToSingle(capacity), Windows = windows };
        return null;
    }
}

/// <summary>One scalar sensor as columns, in place.</summary>
public readonly ref struct ScalarView
{
    /// <summary>Position of this column set among the batch's scalars (for messages).</summary>
    public int Index { get; init; }

    /// <summary>The kind as sent; may be a value this version does not know.</summary>
    public ScalarKind Kind { get; init; }

    /// <summary>name, UTF-8.</summary>
    public ReadOnlySpan<byte> Name { get; init; }

    public ReadOnlySpan<uint> OffsetMs { get; init; }

    public ReadOnlySpan<float> Value { get; init; }

    /// <summary>Window summaries (empty when the truck does not aggregate this sensor by windows).</summary>
    public WindowView Windows { get; init; }

    internal static string? TryRead(ReadOnlySpan<byte> data, int index, out ScalarView view)
    {
        view = default;
        var reader = new WireReader(data);
        ulong kind = 0;
        ReadOnlySpan<byte> name = default;
        ReadOnlySpan<uint> offsets = default;
        ReadOnlySpan<float> values = default;
        WindowView windows = default;
        bool o = false, v = false, w = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire))
            {
                return BatchView.Truncated($"scalars[{index}]");
            }

            string? problem = field switch
            {
                1 when wire == WireReader.Varint => reader.TryReadVarint(out kind) ? null : BatchView.Truncated(new FieldName("scalars", index, "kind")),
                2 when wire == WireReader.LengthDelimited => !reader.TryReadLengthDelimited(out name) ? BatchView.Truncated(new FieldName("scalars", index, "name"))
                    : System.Text.Unicode.Utf8.IsValid(name) ? null : BatchView.NotText(new FieldName("scalars", index, "name").ToString()),
                3 => BatchView.Column(ref reader, wire, ref offsets, ref o, new FieldName("scalars", index, "offset_ms")),
                4 => BatchView.Column(ref reader, wire, ref values, ref v, new FieldName("scalars", index, "value")),
                5 => WindowView.TryRead(ref reader, wire, ref windows, ref w, "scalars", index),
                _ => reader.TrySkip(wire) ? null : BatchView.Truncated($"scalars[{index}]"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        view = new ScalarView { Index = index, Kind = (ScalarKind)unchecked((int)kind), Name = name, OffsetMs = offsets, Value = values, Windows = windows };
        return null;
    }
}

/// <summary>
/// A field's name for a message, e.g. <c>temperatures[1].offset_ms</c>, formatted only when a
/// message is needed: the valid path must not allocate.
/// </summary>
internal readonly record struct FieldName(string Set, int Index, string Field)
{
    public override string ToString() => Index < 0 ? $"{Set}.{Field}" : $"{Set}[{Index}].{Field}";
}

/// <summary>A column set's window summaries (<c>WindowColumns</c>), in place.</summary>
public readonly ref struct WindowView
{
    public ReadOnlySpan<long> StartUnixMs { get; init; }

    public ReadOnlySpan<uint> LengthMs { get; init; }

    public ReadOnlySpan<uint> Count { get; init; }

    public ReadOnlySpan<float> Min { get; init; }

    public ReadOnlySpan<float> Max { get; init; }

    public ReadOnlySpan<float> Mean { get; init; }

    public ReadOnlySpan<float> Last { get; init; }

    /// <summary>Reads the nested message at the reader (field <paramref name="wire"/> type), once per column set.</summary>
    internal static string? TryRead(ref WireReader reader, int wire, ref WindowView view, ref bool seen, string parent, int index)
    {
        var where = new FieldName(parent, index, "windows"); // a string only when there is a problem
        if (wire != WireReader.LengthDelimited || seen)
        {
            return seen ? $"{where} appears twice; send one window column set per sensor" : $"{where} has wire type {wire}, which its type does not allow";
        }

        seen = true;
        if (!reader.TryReadLengthDelimited(out var nested))
        {
            return BatchView.Truncated(where);
        }

        var inner = new WireReader(nested);
        ReadOnlySpan<long> start = default;
        ReadOnlySpan<uint> length = default, count = default;
        ReadOnlySpan<float> min = default, max = default, mean = default, last = default;
        bool s = false, l = false, c = false, mi = false, ma = false, me = false, la = false;
        while (!inner.AtEnd)
        {
            if (!inner.TryReadTag(out int field, out int innerWire))
            {
                return BatchView.Truncated(where);
            }

            string? problem = field switch
            {
                1 => BatchView.Column(ref inner, innerWire, ref start, ref s, new FieldName(parent, index, "windows.start_unix_ms")),
                2 => BatchView.Column(ref inner, innerWire, ref length, ref l, new FieldName(parent, index, "windows.length_ms")),
                3 => BatchView.Column(ref inner, innerWire, ref count, ref c, new FieldName(parent, index, "windows.count")),
                4 => BatchView.Column(ref inner, innerWire, ref min, ref mi, new FieldName(parent, index, "windows.min")),
                5 => BatchView.Column(ref inner, innerWire, ref max, ref ma, new FieldName(parent, index, "windows.max")),
                6 => BatchView.Column(ref inner, innerWire, ref mean, ref me, new FieldName(parent, index, "windows.mean")),
                7 => BatchView.Column(ref inner, innerWire, ref last, ref la, new FieldName(parent, index, "windows.last")),
                _ => inner.TrySkip(innerWire) ? null : BatchView.Truncated(where),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        view = new WindowView { StartUnixMs = start, LengthMs = length, Count = count, Min = min, Max = max, Mean = mean, Last = last };
        return null;
    }
}
