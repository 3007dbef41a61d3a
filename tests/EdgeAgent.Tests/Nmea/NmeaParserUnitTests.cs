using Convoy.EdgeAgent.Inputs.Nmea;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

public sealed class NmeaParserUnitTests
{
    // From nmea-fuzzy-cases.log: 8-decimal minutes, fractional seconds.
    private const string FuzzyGga = "$GPGGA,132820.60,4134.49821229,N,09345.03351845,W,2,09,1.0,278.020,M,-31.442,M,7.6,0133*7E";
    private const string FuzzyRmc = "$GPRMC,132820.60,A,4134.49821229,N,09345.03351845,W,3.252,92.308,180320,11.5985,E,D*1A";

    [Fact]
    public void Parse_GgaWithEightDecimalMinutes_DecodesEveryFieldExactly()
    {
        var outcome = NmeaParser.Parse(Bytes(FuzzyGga), out var s);

        Assert.Equal(NmeaOutcome.Decoded, outcome);
        Assert.Equal(NmeaSentenceType.Gga, s.Type);
        Assert.Equal("GP", s.TalkerId);
        Assert.Equal((((13 * 60) + 28) * 60 + 20) * 1000 + 600, s.TimeOfDayMs);
        Assert.Equal(41.574970204833333, s.Latitude!.Value, 1e-12);
        Assert.Equal(-93.750558640833333, s.Longitude!.Value, 1e-12);
        Assert.Equal(GpsFixQuality.Differential, s.Quality);
        Assert.Equal(9, s.Satellites);
        Assert.Equal(1.0, s.Hdop);
        Assert.Equal(278.020, s.AltitudeM);
        Assert.True(s.HasFix);
        Assert.Null(s.Date);
    }

    [Theory]
    [InlineData("4134.49821229", "N", 41, "34.49821229")]
    [InlineData("4134.49822493", "N", 41, "34.49822493")]
    [InlineData("4134.50180323", "N", 41, "34.50180323")]
    [InlineData("09345.03351845", "W", -93, "45.03351845")]
    [InlineData("09345.03586858", "W", -93, "45.03586858")]
    [InlineData("3352.12800000", "S", -33, "52.128")]
    [InlineData("00339.1630", "E", 3, "39.1630")]
    public void TryParseCoordinate_EightDecimalMinutes_MatchesTheDecimalValueToTheLastBit(string value, string hemisphere, int degrees, string minutes)
    {
        bool latitude = hemisphere is "N" or "S";
        // The reference: exact decimal arithmetic, then one rounding to double.
        decimal exact = Math.Abs(degrees) + (decimal.Parse(minutes, System.Globalization.CultureInfo.InvariantCulture) / 60m);
        double expected = (double)(degrees < 0 || hemisphere is "S" or "W" ? -exact : exact);

        Assert.True(NmeaParser.TryParseCoordinate(Bytes(value), Bytes(hemisphere), latitude, out double? parsed));

        Assert.Equal(expected, parsed!.Value, 1e-12);
        Assert.Equal(expected, parsed.Value, 1e-9);
    }

    [Fact]
    public void Parse_Rmc_DecodesStatusSpeedInKmhCourseAndDate()
    {
        var outcome = NmeaParser.Parse(Bytes(FuzzyRmc), out var s);

        Assert.Equal(NmeaOutcome.Decoded, outcome);
        Assert.Equal(NmeaSentenceType.Rmc, s.Type);
        Assert.True(s.HasFix);
        Assert.Equal(48_500_600, s.TimeOfDayMs);
        Assert.Equal(new DateOnly(2020, 3, 18), s.Date);
        Assert.Equal(3.252 * 1.852, s.SpeedKmh!.Value, 1e-12);
        Assert.Equal(92.308, s.CourseDeg);
        Assert.Equal(41.574970204833333, s.Latitude!.Value, 1e-12);
        Assert.Equal(GpsFixQuality.Unknown, s.Quality);
    }

    [Fact]
    public void Parse_RmcWithNavigationalStatusV_IsStillAFix()
    {
        // Quectel, NMEA 4.1: the trailing V is the navigational status ("none given"), not the fix status.
        var outcome = NmeaParser.Parse(Bytes("$GNRMC,055234.000,A,4739.71890,N,12219.58362,W,0.00,286.35,050826,,,A,V*13"), out var s);

        Assert.Equal(NmeaOutcome.Decoded, outcome);
        Assert.True(s.HasFix);
        Assert.Equal("GN", s.TalkerId);
        Assert.Equal(new DateOnly(2026, 8, 5), s.Date);
        Assert.Equal(0.0, s.SpeedKmh);
        Assert.Equal(286.35, s.CourseDeg);
    }

    [Fact]
    public void Parse_Vtg_DecodesCourseAndKmh()
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K,A")), out var s);

        Assert.Equal(NmeaOutcome.Decoded, outcome);
        Assert.Equal(NmeaSentenceType.Vtg, s.Type);
        Assert.Equal(54.7, s.CourseDeg);
        Assert.Equal(10.2, s.SpeedKmh);
        Assert.Equal(-1, s.TimeOfDayMs);
    }

    [Fact]
    public void Parse_VtgWithoutKmh_ConvertsKnots()
    {
        NmeaParser.Parse(Bytes(Sentence("GPVTG,360.0,T,,M,10.0,N,,K,D")), out var s);

        Assert.Equal(18.52, s.SpeedKmh!.Value, 1e-12);
        Assert.Equal(0.0, s.CourseDeg); // 360 folds to 0: headings stay in [0, 360)
    }

    [Fact]
    public void Parse_SouthernAndWesternHemispheres_AreNegative()
    {
        NmeaParser.Parse(Bytes(Sentence("GARMC,235959.999,A,3352.12800000,S,07036.6500,W,0.5,10.0,311299,,,A")), out var s);

        Assert.Equal(-(33 + (52.128 / 60)), s.Latitude!.Value, 1e-12);
        Assert.Equal(-(70 + (36.65 / 60)), s.Longitude!.Value, 1e-12);
        Assert.Equal("GA", s.TalkerId);
        Assert.Equal(new DateOnly(1999, 12, 31), s.Date);
        Assert.Equal(86_399_999, s.TimeOfDayMs);
    }

    [Theory]
    [InlineData("GPRMC")]
    [InlineData("GNRMC")]
    [InlineData("GLRMC")]
    [InlineData("BDRMC")]
    [InlineData("GARMC")]
    [InlineData("GBRMC")]
    public void Parse_AnyTalker_IsDecoded(string address)
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence($"{address},120000,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")), out var s);

        Assert.Equal(NmeaOutcome.Decoded, outcome);
        Assert.Equal(address[..2], s.TalkerId);
        Assert.Equal(48 + (7.038 / 60), s.Latitude!.Value, 1e-12);
        Assert.Equal(11 + (31.0 / 60), s.Longitude!.Value, 1e-12);
    }

    [Fact]
    public void Parse_EmptyRmcOfAColdReceiver_IsNoFixWithNothingInIt()
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence("GPRMC,,V,,,,,,,,,,N")), out var s);

        Assert.Equal(NmeaOutcome.NoFix, outcome);
        Assert.False(s.HasFix);
        Assert.Equal(-1, s.TimeOfDayMs);
        Assert.Null(s.Latitude);
        Assert.Null(s.Longitude);
        Assert.Null(s.Date);
        Assert.Null(s.SpeedKmh);
        Assert.Null(s.CourseDeg);
    }

    [Fact]
    public void Parse_GgaWithEmptyFieldsAndQualityZero_IsNoFix()
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence("GPGGA,000001.00,,,,,0,00,99.99,,,,,,")), out var s);

        Assert.Equal(NmeaOutcome.NoFix, outcome);
        Assert.Equal(GpsFixQuality.Invalid, s.Quality);
        Assert.Equal(1000, s.TimeOfDayMs);
        Assert.Null(s.Latitude);
        Assert.Equal(0, s.Satellites);
        Assert.Equal(99.99, s.Hdop);
        Assert.Null(s.AltitudeM);
    }

    [Theory]
    [InlineData("$GPGGA,214350,4023.8600,N,00339.1630,W,8,09,2.0,695.7,M,51.6,M,,*5A")] // Garmin demo mode: quality 8, simulated
    [InlineData("$GPRMC,214350,V,4023.8600,N,00339.1630,W,10.8,0.0,140605,2.5,W,S*21")] // status V
    public void Parse_DemoModeSentences_AreNoFixNotErrors(string line)
    {
        var outcome = NmeaParser.Parse(Bytes(line), out var s);

        Assert.Equal(NmeaOutcome.NoFix, outcome);
        Assert.False(s.HasFix);
        Assert.False(NmeaStatistics.IsError(outcome));
    }

    [Fact]
    public void Parse_RmcStatusAButModeSimulator_IsNoFix()
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence("GPRMC,214350,A,4023.8600,N,00339.1630,W,10.8,0.0,140605,2.5,W,S")), out _);

        Assert.Equal(NmeaOutcome.NoFix, outcome);
    }

    [Fact]
    public void Parse_ChecksumMismatch_IsBadChecksum()
    {
        string corrupted = FuzzyGga.Replace("4134.49821229", "4134.49821228", StringComparison.Ordinal);

        Assert.Equal(NmeaOutcome.Decoded, NmeaParser.Parse(Bytes(FuzzyGga), out _));
        Assert.Equal(NmeaOutcome.BadChecksum, NmeaParser.Parse(Bytes(corrupted), out _));
        Assert.Equal(NmeaOutcome.BadChecksum, NmeaParser.Parse(Bytes(FuzzyGga[..^2] + "7F"), out _));
    }

    [Fact]
    public void Parse_LowerCaseChecksum_IsAccepted()
    {
        Assert.Equal(NmeaOutcome.Decoded, NmeaParser.Parse(Bytes(FuzzyRmc[..^2] + "1a"), out _));
    }

    [Theory]
    [InlineData("hello world", nameof(NmeaOutcome.Garbage))]
    [InlineData("GPGGA,132820.60,4134.49821229,N*00", nameof(NmeaOutcome.Garbage))] // no '$'
    [InlineData("4.49821229,N,09345.03351845,W,2,09,1.0,278.020,M,-31.442,M,7.6,0133*7E", nameof(NmeaOutcome.Garbage))] // tail of a line, as after a connect
    [InlineData("$GPGGA,132820.60,4134.4982", nameof(NmeaOutcome.Truncated))]
    [InlineData("$GPBOD,,T,,M,,*", nameof(NmeaOutcome.Truncated))] // the last line of garmin-geko201.log
    [InlineData("$GPBOD,,T,,M,,*4", nameof(NmeaOutcome.Truncated))]
    [InlineData("$GPBOD,,T,,M,,*4G", nameof(NmeaOutcome.Garbage))]
    [InlineData("$GPBOD,,T,,M,,*47", nameof(NmeaOutcome.Unsupported))]
    [InlineData("$PGRME,15.0,M,22.5,M,27.0,M*1A", nameof(NmeaOutcome.Unsupported))] // proprietary
    [InlineData("$GPTXT,01,01,01,ANTENNA OK*35", nameof(NmeaOutcome.Unsupported))]
    [InlineData("$GNGSA,A,3,13,27,37,,,,,,,,,,1.5,0.9,1.2,4*39", nameof(NmeaOutcome.Unsupported))]
    [InlineData("", nameof(NmeaOutcome.Garbage))]
    public void Parse_BadOrUnsupportedLines_AreClassifiedByReason(string line, string reason)
    {
        var expected = Enum.Parse<NmeaOutcome>(reason);
        Assert.Equal(expected, NmeaParser.Parse(Bytes(line), out _));
        Assert.Equal(expected, NmeaParser.Parse(line.AsSpan(), out _)); // the text overload agrees
    }

    [Theory]
    [InlineData("GPGGA,256000,4134.49,N,09345.03,W,1,09,1.0,278.0,M,,M,,")] // hour 25
    [InlineData("GPGGA,132820,4160.00,N,09345.03,W,1,09,1.0,278.0,M,,M,,")] // 60 minutes
    [InlineData("GPGGA,132820,9100.00,N,09345.03,W,1,09,1.0,278.0,M,,M,,")] // beyond the pole
    [InlineData("GPGGA,132820,4134.49,X,09345.03,W,1,09,1.0,278.0,M,,M,,")] // no such hemisphere
    [InlineData("GPGGA,132820,4134.49,E,09345.03,W,1,09,1.0,278.0,M,,M,,")] // a longitude's hemisphere on a latitude
    [InlineData("GPGGA,132820,4134.49,N")] // too few fields
    [InlineData("GPRMC,132820,A,4134.49,N,09345.03,W,1.0,10.0,310220,,")] // 31 February
    [InlineData("GPRMC,132820,X,4134.49,N,09345.03,W,1.0,10.0,180320,,")] // status neither A nor V
    [InlineData("GPVTG,400.0,T,,M,1.0,N,1.8,K,A")] // course beyond 360
    public void Parse_ChecksumValidButFieldOutOfRange_IsBadField(string body)
    {
        Assert.Equal(NmeaOutcome.BadField, NmeaParser.Parse(Bytes(Sentence(body)), out _));
    }

    [Theory]
    [InlineData("9", "09", true)]   // WAAS fix (NovAtel): gpsd keeps it
    [InlineData("1", "03", true)]
    [InlineData("1", "", true)]     // no count given: the quality decides
    [InlineData("1", "02", false)]  // below 3 satellites no position is solved: no fix, as in gpsd
    [InlineData("1", "00", false)]
    [InlineData("7", "09", false)]  // manual input
    [InlineData("8", "09", false)]  // simulator
    public void Parse_GgaQualityAndSatellites_DecideWhetherItIsAFix(string quality, string satellites, bool fix)
    {
        var outcome = NmeaParser.Parse(Bytes(Sentence($"GPGGA,132820,4134.49,N,09345.03,W,{quality},{satellites},1.0,278.0,M,,M,,")), out var s);

        Assert.Equal(fix ? NmeaOutcome.Decoded : NmeaOutcome.NoFix, outcome);
        Assert.Equal(fix, s.HasFix);
    }

    [Theory]
    [InlineData("235960", 86_399_999)]     // a leap second: the day's last millisecond, not tomorrow's 00:00:00
    [InlineData("235960.50", 86_399_999)]
    [InlineData("235959.99", 86_399_990)]
    [InlineData("000000", 0)]
    public void TryParseTime_LeapSecond_StaysInItsOwnDay(string field, int expectedMs)
    {
        Assert.True(NmeaParser.TryParseTime(Bytes(field), out int ms));
        Assert.Equal(expectedMs, ms);
    }

    [Theory]
    [InlineData("125960")] // second 60 anywhere but 23:59 is not a leap second
    [InlineData("235860")]
    public void TryParseTime_Second60OutsideTheDaysLastMinute_IsRefused(string field) =>
        Assert.False(NmeaParser.TryParseTime(Bytes(field), out _));

    /// <summary>Every float field of every decoded sentence, with each spelling of NaN .NET's parser accepts.</summary>
    public static TheoryData<string> NotANumberFields()
    {
        string[] templates =
        [
            "GPGGA,132820,4134.49,N,09345.03,W,1,09,{0},278.0,M,,M,,",       // HDOP
            "GPGGA,132820,4134.49,N,09345.03,W,1,09,1.0,{0},M,,M,,",         // altitude
            "GPRMC,132820,A,4134.49,N,09345.03,W,{0},10.0,180320,,",         // speed, knots
            "GPRMC,132820,A,4134.49,N,09345.03,W,1.0,{0},180320,,",          // course
            "GPVTG,{0},T,,M,1.0,N,1.8,K,A",                                  // course
            "GPVTG,10.0,T,,M,{0},N,1.8,K,A",                                 // speed, knots
            "GPVTG,10.0,T,,M,1.0,N,{0},K,A",                                 // speed, km/h
        ];
        var data = new TheoryData<string>();
        foreach (string template in templates)
        {
            foreach (string nan in new[] { "NaN", "nan", "-NaN", "NAN", "Infinity", "-Infinity" })
            {
                data.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, nan));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NotANumberFields))]
    public void Parse_ChecksumValidSentenceWithANonFiniteNumber_IsBadField_AndDecodesNothing(string body)
    {
        Assert.Equal(NmeaOutcome.BadField, NmeaParser.Parse(Bytes(Sentence(body)), out _));
    }

    [Fact]
    public void Parse_ControlOrNonAsciiBytes_AreGarbage()
    {
        byte[] binary = Bytes(FuzzyGga);
        binary[20] = 0x01;

        Assert.Equal(NmeaOutcome.Garbage, NmeaParser.Parse(binary, out _));
        Assert.Equal(NmeaOutcome.Garbage, NmeaParser.Parse("$GPTXT,01,01,01,ANTENNE GRÜN*35".AsSpan(), out _));
    }

    [Fact]
    public void Parse_OverlongLine_IsOverlong()
    {
        string line = Sentence("GPTXT,01,01,01," + new string('A', 300));

        Assert.Equal(NmeaOutcome.Overlong, NmeaParser.Parse(Bytes(line), out _));
        Assert.Equal(NmeaOutcome.Overlong, NmeaParser.Parse(line.AsSpan(), out _));
    }

    [Fact]
    public void Parse_TrailingCrLf_IsIgnored()
    {
        Assert.Equal(NmeaOutcome.Decoded, NmeaParser.Parse(Bytes(FuzzyGga + "\r\n"), out var s));
        Assert.Equal(278.020, s.AltitudeM);
    }

    [Fact]
    public void Parse_HappyPath_AllocatesNothing()
    {
        byte[][] lines = [Bytes(FuzzyGga), Bytes(FuzzyRmc), Bytes("$GNVTG,286.35,T,,M,0.00,N,0.00,K,A*29"), Bytes("$GNZDA,055234.000,05,08,2026,00,00*46")];
        foreach (var line in lines)
        {
            NmeaParser.Parse(line, out _); // warm up (JIT)
            NmeaParser.Parse(System.Text.Encoding.ASCII.GetString(line).AsSpan(), out _);
        }

        string text = FuzzyGga;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int decoded = 0;
        for (int i = 0; i < 1000; i++)
        {
            foreach (var line in lines)
            {
                decoded += NmeaParser.Parse(line, out _) == NmeaOutcome.Decoded ? 1 : 0;
            }

            decoded += NmeaParser.Parse(text.AsSpan(), out _) == NmeaOutcome.Decoded ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(5000, decoded);
        Assert.Equal(0, allocated);
    }
}
