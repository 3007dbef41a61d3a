using Convoy.EdgeAgent.Inputs.Nmea;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

public sealed class GpsFixAssemblerUnitTests
{
    [Fact]
    public void SameEpoch_GgaRmcVtg_CombineIntoOneFix_WithVtgSpeedAndGgaQuality()
    {
        var decoder = new NmeaStreamDecoder();

        Feed(decoder,
            "GPGGA,120000.00,4807.038,N,01131.000,E,2,08,0.9,545.4,M,46.9,M,,",
            "GPRMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
            "GPVTG,084.5,T,,M,022.4,N,041.5,K,D",
            "GPGGA,120001.00,4807.040,N,01131.000,E,2,08,0.9,545.4,M,46.9,M,,");

        Assert.True(decoder.TryTake(out var fix));
        Assert.False(decoder.TryTake(out _)); // one fix per epoch
        Assert.True(fix.Valid);
        Assert.Equal(UnixMs("1994-03-23T12:00:00Z"), fix.UnixTimeMs);
        Assert.Equal(48 + (7.038 / 60), fix.Latitude, 1e-12);
        Assert.Equal(41.5, fix.SpeedKmh); // VTG's km/h wins over RMC's knots
        Assert.Equal(84.5, fix.HeadingDeg);
        Assert.Equal(GpsFixQuality.Differential, fix.Quality);
        Assert.Equal(8, fix.Satellites);
    }

    [Fact]
    public void OnceTheEpochPatternIsKnown_AFixLeavesWithoutWaitingForTheNextEpoch()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
            "GPRMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
            "GPGGA,120001.00,4807.040,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        Assert.True(decoder.TryTake(out _));
        Assert.False(decoder.TryTake(out _));

        Feed(decoder, "GPRMC,120001.00,A,4807.040,N,01131.000,E,022.4,084.4,230394,003.1,W");

        Assert.True(decoder.TryTake(out var second)); // GGA + RMC is the whole epoch: emitted at once
        Assert.Equal(UnixMs("1994-03-23T12:00:01Z"), second.UnixTimeMs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnotherConstellationsNoFix_DoesNotDiscardAFix_WhateverTheOrder(bool gpsFirst)
    {
        var decoder = new NmeaStreamDecoder();
        string gps = "GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,";
        string glonass = "GLGGA,120000.00,,,,,0,02,,,M,,M,,"; // GLONASS alone has no solution yet
        string rmc = "GNRMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W";
        Feed(decoder, gpsFirst ? [gps, glonass, rmc] : [glonass, gps, rmc]);
        decoder.Flush();

        Assert.True(decoder.TryTake(out var fix));
        Assert.True(fix.Valid);
        Assert.Equal(48 + (7.038 / 60), fix.Latitude, 1e-12);
    }

    [Fact]
    public void GllOnlyEpochs_AreFixes_DatedByTheLastZda()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GPZDA,120000.00,23,03,1994,00,00",
            "GPGLL,4807.038,N,01131.000,E,120000.00,A,A",
            "GPGLL,4807.040,N,01131.000,E,120001.00,A,A",
            "GPGLL,4807.042,N,01131.000,E,120002.00,V,N"); // the receiver lost the fix
        decoder.Flush();

        var fixes = new List<GpsFix>();
        while (decoder.TryTake(out var fix))
        {
            fixes.Add(fix);
        }

        Assert.Equal([true, true, false], fixes.Select(f => f.Valid));
        Assert.Equal(UnixMs("1994-03-23T12:00:01Z"), fixes[1].UnixTimeMs);
        Assert.Equal(48 + (7.040 / 60), fixes[1].Latitude, 1e-12);
        Assert.Equal(0, decoder.Statistics.Errors);
    }

    [Theory]
    [InlineData("AN", true)]    // GPS autonomous, GLONASS none: a fix
    [InlineData("NN", false)]
    [InlineData("RR", true)]    // RTK
    [InlineData("SS", false)]   // simulator
    public void GnsModeLetters_DecideTheFix(string mode, bool valid)
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GNZDA,014035.00,23,03,1994,00,00",
            $"GNGNS,014035.00,4332.69262,S,17235.48549,E,{mode},13,0.9,25.63,11.24,,");
        decoder.Flush();

        Assert.True(decoder.TryTake(out var fix));
        Assert.Equal(valid, fix.Valid);
        Assert.Equal(valid ? 13 : 13, fix.Satellites);
    }

    [Fact]
    public void RmcStatusV_VetoesTheEpoch_EvenIfGgaClaimsAFix()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GPRMC,120000.00,V,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
            "GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        decoder.Flush();

        Assert.True(decoder.TryTake(out var fix));
        Assert.False(fix.Valid);
        Assert.True(double.IsNaN(fix.Latitude));
        Assert.Equal(1, decoder.Statistics[NmeaOutcome.NoFix]);
    }

    [Fact]
    public void GgaOnlyEpochAfterMidnight_TakesTheNextDay()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GPRMC,235959.00,A,4807.038,N,01131.000,E,0.0,,311225,,,A",
            "GPGGA,000000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        decoder.Flush();

        Assert.True(decoder.TryTake(out var before));
        Assert.True(decoder.TryTake(out var after));
        Assert.Equal(UnixMs("2025-12-31T23:59:59Z"), before.UnixTimeMs);
        Assert.Equal(UnixMs("2026-01-01T00:00:00Z"), after.UnixTimeMs);
        Assert.Null(before.HeadingDeg);
    }

    [Fact]
    public void GgaBeforeAnyDate_CannotBeTimestamped_AndIsNotEmitted()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder, "GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        decoder.Flush();

        Assert.False(decoder.TryTake(out _));
        Assert.Equal(1, decoder.Undated);
    }

    [Fact]
    public void ColdReceiversEmptyRmc_DoesNotVetoTheEpochInProgress()
    {
        var decoder = new NmeaStreamDecoder();
        Feed(decoder,
            "GPRMC,120000.00,A,4807.038,N,01131.000,E,0.0,,230394,,,A",
            "GPRMC,,V,,,,,,,,,,N");
        decoder.Flush();

        Assert.True(decoder.TryTake(out var fix));
        Assert.True(fix.Valid);
    }

    private static void Feed(NmeaStreamDecoder decoder, params string[] bodies)
    {
        foreach (string body in bodies)
        {
            var outcome = decoder.DecodeLine(Bytes(Sentence(body)));
            Assert.False(NmeaStatistics.IsError(outcome), $"{body}: {outcome}");
        }
    }
}
