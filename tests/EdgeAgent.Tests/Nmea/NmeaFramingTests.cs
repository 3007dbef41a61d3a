using System.Text;
using Convoy.EdgeAgent.Inputs.Nmea;
using static Convoy.EdgeAgent.Tests.Nmea.NmeaTestData;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>How the stream decoder finds sentences in what a receiver or a capture really sends, as gpsd does.</summary>
public sealed class NmeaFramingTests
{
    private static readonly string Gga = Sentence("GPGGA,132820,4134.49,N,09345.03,W,1,09,1.0,278.0,M,,M,,");
    private static readonly string Rmc = Sentence("GPRMC,132820,A,4134.49,N,09345.03,W,1.0,10.0,180320,,");

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("\r")] // receivers that end lines with CR only
    public async Task EachLineEnd_SeparatesSentences(string end)
    {
        var (fixes, statistics) = await DecodeAsync(Gga + end + Rmc + end);

        Assert.Equal(2, statistics[NmeaOutcome.Decoded]);
        Assert.Equal(0, statistics.Errors);
        Assert.Single(fixes);
    }

    [Fact]
    public async Task NoiseBeforeTheDollar_IsCountedAsGarbage_AndTheSentenceIsStillDecoded()
    {
        var (_, statistics) = await DecodeAsync("\u0001\u00ffxx" + Gga + "\r\n");

        Assert.Equal(1, statistics[NmeaOutcome.Decoded]);
        Assert.Equal(1, statistics[NmeaOutcome.Garbage]);
    }

    [Fact]
    public async Task TwoSentencesOnOneLine_AreBothDecoded()
    {
        var (fixes, statistics) = await DecodeAsync(Gga + Rmc + "\r\n");

        Assert.Equal(2, statistics[NmeaOutcome.Decoded]);
        Assert.Equal(0, statistics.Errors);
        var fix = Assert.Single(fixes);
        Assert.True(fix.Valid);
        Assert.Equal(1.852, fix.SpeedKmh!.Value, 3); // the RMC's knots made it in: both were in the epoch
    }

    [Fact]
    public async Task ALongCommentLine_IsSkipped_NotCountedAsAnError()
    {
        string comment = "# " + new string('c', 3 * NmeaParser.MaxLineLength);
        var (_, statistics) = await DecodeAsync(comment + "\n" + Gga + "\n" + comment + "\r\n" + Rmc + "\n");

        Assert.Equal(0, statistics.Errors);
        Assert.Equal(2, statistics[NmeaOutcome.Decoded]);
    }

    private static async Task<(List<GpsFix> Fixes, NmeaStatistics Statistics)> DecodeAsync(string text)
    {
        var decoder = new NmeaStreamDecoder();
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(text));
        var fixes = new List<GpsFix>();
        await foreach (var fix in decoder.ReadAsync(stream, (byte)'#', null, Timeout.InfiniteTimeSpan, CancellationToken.None))
        {
            fixes.Add(fix);
        }

        decoder.Flush();
        while (decoder.TryTake(out var fix))
        {
            fixes.Add(fix);
        }

        return (fixes, decoder.Statistics);
    }
}
