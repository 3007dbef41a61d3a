using System.Buffers;
using System.Globalization;
using System.Text;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Decodes one NMEA 0183 line. Works on the line's bytes in place: the happy path allocates
/// nothing and never throws; every way a line can be bad is an <see cref="NmeaOutcome"/>.
/// </summary>
internal static class NmeaParser
{
    /// <summary>
    /// Longest line accepted, in bytes without the line end. NMEA 0183 allows 82 characters, but
    /// high-precision receivers (RTK, 8-decimal minutes) exceed it by a few, so the cap is generous
    /// and exists only to bound buffers against a stream that never sends a line end.
    /// </summary>
    public const int MaxLineLength = 256;

    private const int DayMs = 86_400_000;

    private const double KnotsToKmh = 1.852; // exact, by the definition of the international knot

    // Decimals of minutes kept in the integer conversion. 10 keeps the numerator below 2^53 for
    // 180 degrees; further digits (below 2e-11 minutes, a micrometre) are checked and dropped.
    private const int MaxMinuteDecimals = 10;

    private static readonly long[] PowersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000];

    private static ReadOnlySpan<byte> Gga => "GGA"u8;

    private static ReadOnlySpan<byte> Rmc => "RMC"u8;

    private static ReadOnlySpan<byte> Gll => "GLL"u8;

    private static ReadOnlySpan<byte> Gns => "GNS"u8;

    // GNS mode letters: N no fix, A autonomous, D differential, P precise, R RTK, F float RTK,
    // E estimated, M manual input, S simulator. The measured ones make a fix.
    private static readonly System.Buffers.SearchValues<byte> GnsModes = System.Buffers.SearchValues.Create("NADPRFEMS"u8);
    private static readonly System.Buffers.SearchValues<byte> GnsMeasuredModes = System.Buffers.SearchValues.Create("ADPRFE"u8);

    private static ReadOnlySpan<byte> Vtg => "VTG"u8;

    private static ReadOnlySpan<byte> Zda => "ZDA"u8;

    /// <summary>Decodes a line given as text; it must be ASCII, as NMEA is.</summary>
    public static NmeaOutcome Parse(ReadOnlySpan<char> line, out NmeaSentence sentence)
    {
        sentence = default;
        line = line.TrimEnd();
        if (line.Length > MaxLineLength)
        {
            return NmeaOutcome.Overlong;
        }

        Span<byte> bytes = stackalloc byte[MaxLineLength];
        return Ascii.FromUtf16(line, bytes, out int written) == OperationStatus.Done
            ? Parse(bytes[..written], out sentence)
            : NmeaOutcome.Garbage;
    }

    /// <summary>Decodes a line's bytes (a trailing CR, LF or spaces are ignored).</summary>
    public static NmeaOutcome Parse(ReadOnlySpan<byte> line, out NmeaSentence sentence)
    {
        sentence = default;
        line = line.TrimEnd(" \r\n"u8);
        if (line.Length > MaxLineLength)
        {
            return NmeaOutcome.Overlong;
        }

        // '$' starts a sentence, '!' an encapsulated one (AIS); anything else is not NMEA.
        if (line.IsEmpty || (line[0] != (byte)'$' && line[0] != (byte)'!'))
        {
            return NmeaOutcome.Garbage;
        }

        int star = line.LastIndexOf((byte)'*');
        if (star < 0 || line.Length - star - 1 < 2)
        {
            return NmeaOutcome.Truncated;
        }

        if (line.Length - star - 1 > 2 || !TryParseHex(line[star + 1], line[star + 2], out byte expected))
        {
            return NmeaOutcome.Garbage;
        }

        ReadOnlySpan<byte> body = line[1..star];
        byte checksum = 0;
        foreach (byte b in body)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return NmeaOutcome.Garbage; // binary noise (a baud-rate mismatch, another protocol on the port)
            }

            checksum ^= b;
        }

        if (checksum != expected)
        {
            return NmeaOutcome.BadChecksum;
        }

        int comma = body.IndexOf((byte)',');
        ReadOnlySpan<byte> address = comma < 0 ? body : body[..comma];
        ReadOnlySpan<byte> fields = comma < 0 ? default : body[(comma + 1)..];

        // Standard sentences have a 2-character talker and a 3-character type; proprietary ones
        // ($P + maker) and encapsulated ones are valid NMEA that this parser does not decode.
        if (line[0] != (byte)'$' || address.Length != 5 || address[0] == (byte)'P'
            || !IsTalkerCharacter(address[0]) || !IsTalkerCharacter(address[1]))
        {
            return NmeaOutcome.Unsupported;
        }

        ushort talker = (ushort)((address[0] << 8) | address[1]);
        var reader = new FieldReader(fields);
        ReadOnlySpan<byte> type = address[2..];
        if (type.SequenceEqual(Rmc))
        {
            return ParseRmc(ref reader, talker, out sentence);
        }

        if (type.SequenceEqual(Gga))
        {
            return ParseGga(ref reader, talker, out sentence);
        }

        if (type.SequenceEqual(Vtg))
        {
            return ParseVtg(ref reader, talker, out sentence);
        }

        if (type.SequenceEqual(Zda))
        {
            return ParseZda(ref reader, talker, out sentence);
        }

        if (type.SequenceEqual(Gll))
        {
            return ParseGll(ref reader, talker, out sentence);
        }

        if (type.SequenceEqual(Gns))
        {
            return ParseGns(ref reader, talker, out sentence);
        }

        return NmeaOutcome.Unsupported;
    }

    /// <summary>GGA: time, lat, N/S, lon, E/W, quality, satellites, HDOP, altitude, M, geoid separation, M, age, station.</summary>
    private static NmeaOutcome ParseGga(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var time) || !reader.Next(out var lat) || !reader.Next(out var ns)
            || !reader.Next(out var lon) || !reader.Next(out var ew) || !reader.Next(out var quality))
        {
            return NmeaOutcome.BadField;
        }

        // Satellites, HDOP and altitude are absent on some old receivers' short GGA; absent is null.
        reader.Next(out var satellites);
        reader.Next(out var hdop);
        reader.Next(out var altitude);

        if (!TryParseTime(time, out int timeMs)
            || !TryParseCoordinate(lat, ns, latitude: true, out double? latitude)
            || !TryParseCoordinate(lon, ew, latitude: false, out double? longitude)
            || !TryParseInt(quality, 0, 9, out int? q)
            || !TryParseInt(satellites, 0, 999, out int? sats)
            || !TryParseDouble(hdop, 0, 100, out double? h)
            || !TryParseDouble(altitude, -20_000, 100_000, out double? alt))
        {
            return NmeaOutcome.BadField;
        }

        var fixQuality = q is { } value ? (GpsFixQuality)value : GpsFixQuality.Invalid;

        // Manual input and simulation are not measurements of where the truck is; a WAAS fix (9,
        // NovAtel) is. Below 3 satellites no position can be solved, whatever the quality says
        // (gpsd reports no fix too); an empty satellite field is not a count and decides nothing.
        bool measured = fixQuality is >= GpsFixQuality.Gps and <= GpsFixQuality.Estimated or GpsFixQuality.Waas;
        bool hasFix = measured && sats is not < 3 && latitude is not null && longitude is not null;
        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Gga,
            Talker = talker,
            TimeOfDayMs = timeMs,
            HasFix = hasFix,
            Latitude = latitude,
            Longitude = longitude,
            Quality = fixQuality,
            Satellites = sats,
            Hdop = h,
            AltitudeM = alt,
        };
        return hasFix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix;
    }

    /// <summary>GLL: lat, N/S, lon, E/W, time, status, [mode]. Receivers that send GLL-only epochs have no other position.</summary>
    private static NmeaOutcome ParseGll(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var lat) || !reader.Next(out var ns) || !reader.Next(out var lon) || !reader.Next(out var ew)
            || !reader.Next(out var time) || !reader.Next(out var status))
        {
            return NmeaOutcome.BadField;
        }

        reader.Next(out var mode);
        if (status.Length != 1 || (status[0] != (byte)'A' && status[0] != (byte)'V')
            || !TryParseTime(time, out int timeMs)
            || !TryParseCoordinate(lat, ns, latitude: true, out double? latitude)
            || !TryParseCoordinate(lon, ew, latitude: false, out double? longitude)
            || mode.Length > 1)
        {
            return NmeaOutcome.BadField;
        }

        bool hasFix = status[0] == (byte)'A' && ModeHasFix(mode) && latitude is not null && longitude is not null;
        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Gll,
            Talker = talker,
            TimeOfDayMs = timeMs,
            HasFix = hasFix,
            Latitude = latitude,
            Longitude = longitude,
            Quality = GpsFixQuality.Unknown,
        };
        return hasFix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix;
    }

    /// <summary>
    /// GNS: time, lat, N/S, lon, E/W, mode (one letter per constellation), satellites, HDOP,
    /// altitude, geoid separation, age, station, [navigational status]. A fix when some
    /// constellation's letter is a measured one (A, D, P, R, F, E); N, M and S are not.
    /// </summary>
    private static NmeaOutcome ParseGns(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var time) || !reader.Next(out var lat) || !reader.Next(out var ns)
            || !reader.Next(out var lon) || !reader.Next(out var ew) || !reader.Next(out var mode))
        {
            return NmeaOutcome.BadField;
        }

        reader.Next(out var satellites);
        reader.Next(out var hdop);
        reader.Next(out var altitude);
        if (!TryParseTime(time, out int timeMs)
            || !TryParseCoordinate(lat, ns, latitude: true, out double? latitude)
            || !TryParseCoordinate(lon, ew, latitude: false, out double? longitude)
            || mode.IsEmpty || mode.Length > 8 || mode.IndexOfAnyExcept(GnsModes) >= 0
            || !TryParseInt(satellites, 0, 999, out int? sats)
            || !TryParseDouble(hdop, 0, 100, out double? h)
            || !TryParseDouble(altitude, -20_000, 100_000, out double? alt))
        {
            return NmeaOutcome.BadField;
        }

        bool measured = mode.IndexOfAny(GnsMeasuredModes) >= 0;
        bool hasFix = measured && sats is not < 3 && latitude is not null && longitude is not null;
        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Gns,
            Talker = talker,
            TimeOfDayMs = timeMs,
            HasFix = hasFix,
            Latitude = latitude,
            Longitude = longitude,
            Quality = GpsFixQuality.Unknown,
            Satellites = sats,
            Hdop = h,
            AltitudeM = alt,
        };
        return hasFix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix;
    }

    /// <summary>RMC: time, status, lat, N/S, lon, E/W, speed knots, course, date, variation, E/W, [mode], [navigational status].</summary>
    private static NmeaOutcome ParseRmc(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var time) || !reader.Next(out var status) || !reader.Next(out var lat) || !reader.Next(out var ns)
            || !reader.Next(out var lon) || !reader.Next(out var ew) || !reader.Next(out var knots) || !reader.Next(out var course)
            || !reader.Next(out var date))
        {
            return NmeaOutcome.BadField;
        }

        // Field 12, the mode (NMEA 2.3+). Field 13 (NMEA 4.1) is the navigational status, whose
        // 'V' means "no status given", not "no fix": it must not be read as the fix status.
        reader.Next(out _);
        reader.Next(out _);
        reader.Next(out var mode);

        if (status.Length != 1 || (status[0] != (byte)'A' && status[0] != (byte)'V')
            || !TryParseTime(time, out int timeMs)
            || !TryParseCoordinate(lat, ns, latitude: true, out double? latitude)
            || !TryParseCoordinate(lon, ew, latitude: false, out double? longitude)
            || !TryParseDouble(knots, 0, 10_000, out double? speedKnots)
            || !TryParseCourse(course, out double? courseDeg)
            || !TryParseDate(date, out DateOnly? day)
            || mode.Length > 1)
        {
            return NmeaOutcome.BadField;
        }

        bool hasFix = status[0] == (byte)'A' && ModeHasFix(mode) && latitude is not null && longitude is not null;
        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Rmc,
            Talker = talker,
            TimeOfDayMs = timeMs,
            Date = day,
            HasFix = hasFix,
            Latitude = latitude,
            Longitude = longitude,
            Quality = GpsFixQuality.Unknown,
            SpeedKmh = speedKnots * KnotsToKmh,
            CourseDeg = courseDeg,
        };
        return hasFix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix;
    }

    /// <summary>VTG: course true, T, course magnetic, M, speed knots, N, speed km/h, K, [mode].</summary>
    private static NmeaOutcome ParseVtg(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var course) || !reader.Next(out _) || !reader.Next(out _) || !reader.Next(out _)
            || !reader.Next(out var knots) || !reader.Next(out _) || !reader.Next(out var kmh) || !reader.Next(out _))
        {
            return NmeaOutcome.BadField;
        }

        reader.Next(out var mode);
        if (!TryParseCourse(course, out double? courseDeg)
            || !TryParseDouble(knots, 0, 10_000, out double? speedKnots)
            || !TryParseDouble(kmh, 0, 20_000, out double? speedKmh)
            || mode.Length > 1)
        {
            return NmeaOutcome.BadField;
        }

        bool hasFix = ModeHasFix(mode);
        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Vtg,
            Talker = talker,
            TimeOfDayMs = -1,
            HasFix = hasFix,
            Quality = GpsFixQuality.Unknown,
            SpeedKmh = speedKmh ?? speedKnots * KnotsToKmh,
            CourseDeg = courseDeg,
        };
        return hasFix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix;
    }

    /// <summary>ZDA: time, day, month, year (4 digits), local zone hours, minutes. Read for its date only.</summary>
    private static NmeaOutcome ParseZda(ref FieldReader reader, ushort talker, out NmeaSentence sentence)
    {
        sentence = default;
        if (!reader.Next(out var time) || !reader.Next(out var day) || !reader.Next(out var month) || !reader.Next(out var year)
            || !TryParseTime(time, out int timeMs)
            || !TryParseInt(day, 1, 31, out int? d) || !TryParseInt(month, 1, 12, out int? m) || !TryParseInt(year, 1980, 2200, out int? y))
        {
            return NmeaOutcome.BadField;
        }

        DateOnly? date = null;
        if (d is not null && m is not null && y is not null)
        {
            if (d.Value > DateTime.DaysInMonth(y.Value, m.Value))
            {
                return NmeaOutcome.BadField;
            }

            date = new DateOnly(y.Value, m.Value, d.Value);
        }

        sentence = new NmeaSentence
        {
            Type = NmeaSentenceType.Zda,
            Talker = talker,
            TimeOfDayMs = timeMs,
            Date = date,
            Quality = GpsFixQuality.Unknown,
        };
        return NmeaOutcome.Decoded;
    }

    /// <summary>The NMEA 2.3 mode indicator: N (not valid), S (simulator) and M (manual input) are not measured positions.</summary>
    private static bool ModeHasFix(ReadOnlySpan<byte> mode) =>
        mode.IsEmpty || (mode[0] != (byte)'N' && mode[0] != (byte)'S' && mode[0] != (byte)'M');

    /// <summary>
    /// <c>hhmmss</c> or <c>hhmmss.s...</c> as milliseconds of the day; -1 when empty. The
    /// fraction is read as digits (not as a float) and truncated to the millisecond, so
    /// <c>132820.60</c> is exactly 13:28:20.600.
    /// </summary>
    internal static bool TryParseTime(ReadOnlySpan<byte> field, out int timeOfDayMs)
    {
        timeOfDayMs = -1;
        if (field.IsEmpty)
        {
            return true;
        }

        if (field.Length < 6 || (field.Length > 6 && field[6] != (byte)'.')
            || !TryTwoDigits(field, 0, out int hh) || !TryTwoDigits(field, 2, out int mm) || !TryTwoDigits(field, 4, out int ss)
            || hh > 23 || mm > 59 || ss > 60 || (ss == 60 && (hh != 23 || mm != 59)))
        {
            return false; // a leap second is only ever the last second of a UTC day
        }

        int fraction = 0;
        int weight = 100;
        for (int i = 7; i < field.Length; i++)
        {
            uint digit = (uint)(field[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            fraction += (int)digit * weight;
            weight /= 10;
        }

        // Unix time has no leap seconds: 23:59:60.x is stamped as the day's last millisecond,
        // 23:59:59.999, not as the next day's 00:00:00, the time of the epoch that follows it.
        timeOfDayMs = ss == 60 ? DayMs - 1 : (((((hh * 60) + mm) * 60) + ss) * 1000) + fraction;
        return true;
    }

    /// <summary>
    /// <c>ddmm.mmmm</c> (latitude) or <c>dddmm.mmmm</c> (longitude) and its hemisphere letter as
    /// signed degrees; null when both are empty. Degrees and minutes are read as integers and
    /// converted with a single division of two exact integers, so the result is the correctly
    /// rounded double of the decimal value: 8-decimal minutes (a millimetre) survive intact,
    /// which parsing the field as a float and splitting it with arithmetic would not guarantee.
    /// </summary>
    internal static bool TryParseCoordinate(ReadOnlySpan<byte> value, ReadOnlySpan<byte> hemisphere, bool latitude, out double? degrees)
    {
        degrees = null;
        if (value.IsEmpty && hemisphere.IsEmpty)
        {
            return true;
        }

        if (value.IsEmpty || hemisphere.Length != 1)
        {
            return false;
        }

        int sign = (hemisphere[0], latitude) switch
        {
            ((byte)'N', true) or ((byte)'E', false) => 1,
            ((byte)'S', true) or ((byte)'W', false) => -1,
            _ => 0,
        };
        int dot = value.IndexOf((byte)'.');
        int integerLength = dot < 0 ? value.Length : dot;
        int degreeDigits = integerLength - 2;
        if (sign == 0 || degreeDigits is < 1 or > 3)
        {
            return false;
        }

        long whole = 0;
        for (int i = 0; i < degreeDigits; i++)
        {
            uint digit = (uint)(value[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            whole = (whole * 10) + digit;
        }

        if (!TryTwoDigits(value, degreeDigits, out int minuteWhole))
        {
            return false;
        }

        long minutes = minuteWhole;
        int decimals = 0;
        for (int i = integerLength + 1; i < value.Length; i++)
        {
            uint digit = (uint)(value[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            if (decimals < MaxMinuteDecimals)
            {
                minutes = (minutes * 10) + digit;
                decimals++;
            }
        }

        long unit = PowersOfTen[decimals];
        long perDegree = 60 * unit;
        long limit = latitude ? 90 : 180;
        if (minutes >= perDegree || whole > limit || (whole == limit && minutes > 0))
        {
            return false;
        }

        // Both operands are integers below 2^53, hence exact doubles: one correctly rounded division.
        degrees = sign * ((double)((whole * perDegree) + minutes) / perDegree);
        return true;
    }

    /// <summary><c>ddmmyy</c>; years 80..99 are 1980..1999 (GPS began in 1980), 00..79 are 2000..2079.</summary>
    internal static bool TryParseDate(ReadOnlySpan<byte> field, out DateOnly? date)
    {
        date = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (field.Length != 6 || !TryTwoDigits(field, 0, out int day) || !TryTwoDigits(field, 2, out int month) || !TryTwoDigits(field, 4, out int yy))
        {
            return false;
        }

        int year = yy >= 80 ? 1900 + yy : 2000 + yy;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>A course in [0, 360]; 360 is folded to 0 so the value is always in [0, 360).</summary>
    private static bool TryParseCourse(ReadOnlySpan<byte> field, out double? course)
    {
        if (!TryParseDouble(field, 0, 360, out course))
        {
            return false;
        }

        if (course == 360)
        {
            course = 0;
        }

        return true;
    }

    private static bool TryParseDouble(ReadOnlySpan<byte> field, double min, double max, out double? value)
    {
        value = null;
        if (field.IsEmpty)
        {
            return true;
        }

        // Written as "inside" rather than "not outside": double.TryParse accepts "NaN" (and "nan",
        // "-NaN"), and every comparison with NaN is false, so only this form refuses it.
        if (!double.TryParse(field, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double parsed)
            || !(parsed >= min && parsed <= max))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryParseInt(ReadOnlySpan<byte> field, int min, int max, out int? value)
    {
        value = null;
        if (field.IsEmpty)
        {
            return true;
        }

        if (!int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed < min || parsed > max)
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryTwoDigits(ReadOnlySpan<byte> span, int at, out int value)
    {
        value = 0;
        if (at + 2 > span.Length)
        {
            return false;
        }

        uint tens = (uint)(span[at] - '0');
        uint ones = (uint)(span[at + 1] - '0');
        if (tens > 9 || ones > 9)
        {
            return false;
        }

        value = (int)((tens * 10) + ones);
        return true;
    }

    private static bool TryParseHex(byte high, byte low, out byte value)
    {
        int h = HexValue(high);
        int l = HexValue(low);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    private static bool IsTalkerCharacter(byte c) => c is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9');

    /// <summary>Walks the comma-separated fields after the address, without copying.</summary>
    private ref struct FieldReader
    {
        private ReadOnlySpan<byte> _rest;
        private bool _done;

        public FieldReader(ReadOnlySpan<byte> fields)
        {
            _rest = fields;
            _done = false;
        }

        /// <summary>The next field (possibly empty); false, with an empty field, once all were read.</summary>
        public bool Next(out ReadOnlySpan<byte> field)
        {
            if (_done)
            {
                field = default;
                return false;
            }

            int comma = _rest.IndexOf((byte)',');
            if (comma < 0)
            {
                field = _rest;
                _rest = default;
                _done = true;
                return true;
            }

            field = _rest[..comma];
            _rest = _rest[(comma + 1)..];
            return true;
        }
    }
}
