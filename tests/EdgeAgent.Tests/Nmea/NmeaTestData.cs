using System.Globalization;
using System.Text;
using Convoy.EdgeAgent.Inputs.Nmea;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EdgeAgent.Tests.Nmea;

/// <summary>The real captures in tests/data/nmea, and helpers to build and replay sentences.</summary>
internal static class NmeaTestData
{
    public static string Quectel => TestData.NmeaCapture("quectel-l76k-nmea.log");

    public static string FuzzyCases => TestData.NmeaCapture("nmea-fuzzy-cases.log");

    public static string Garmin => TestData.NmeaCapture("garmin-geko201.log");

    /// <summary>"$" + body + "*" + the checksum NMEA requires (XOR of the body's bytes).</summary>
    public static string Sentence(string body)
    {
        byte sum = 0;
        foreach (char c in body)
        {
            sum ^= (byte)c;
        }

        return string.Create(CultureInfo.InvariantCulture, $"${body}*{sum:X2}");
    }

    public static byte[] Bytes(string line) => Encoding.ASCII.GetBytes(line);

    /// <summary>The capture's NMEA lines, comments left out (what gpsd's raw output of the same receiver would be).</summary>
    public static string[] NmeaLines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0 && l[0] != '#').ToArray();

    public static async Task<(List<GpsFix> Fixes, NmeaStatistics Statistics)> ReplayAsync(string path, bool includeNoFix = false)
    {
        var options = new NmeaOptions { Source = NmeaSourceKind.File, Path = path, Pacing = NmeaPacing.AsFastAsPossible, IncludeNoFix = includeNoFix };
        options.Validated();
        var source = NmeaSources.Create(options, NullLogger.Instance, TimeProvider.System);
        var fixes = new List<GpsFix>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var fix in source.ReadFixesAsync(timeout.Token))
        {
            fixes.Add(fix);
        }

        return (fixes, source.Statistics);
    }

    public static long UnixMs(string isoUtc) =>
        DateTimeOffset.Parse(isoUtc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();

    /// <summary>Great-circle distance in metres (haversine), good enough to say "within a few metres".</summary>
    public static double DistanceM(double lat1, double lon1, double lat2, double lon2)
    {
        const double R = 6_371_000;
        double dLat = double.DegreesToRadians(lat2 - lat1);
        double dLon = double.DegreesToRadians(lon2 - lon1);
        double a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2))
            + (Math.Cos(double.DegreesToRadians(lat1)) * Math.Cos(double.DegreesToRadians(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * R * Math.Asin(Math.Sqrt(a));
    }
}
