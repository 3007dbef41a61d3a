using System.Globalization;

namespace Convoy.LoadGenerator;

/// <summary>
/// The collector's resident memory at one moment, from /proc/PID/status (Linux): all of it, its
/// anonymous part (heaps: the GC's, malloc's, OpenSSL's) and its file-backed part (mapped binaries).
/// </summary>
internal sealed record MemorySample(int Devices, long RssBytes, long AnonymousBytes, long FileBytes)
{
    public static MemorySample Read(int processId, int devices)
    {
        long rss = 0, anonymous = 0, file = 0;
        foreach (string line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anonymous = Kilobytes(line);
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kilobytes(line);
            }
        }

        return new MemorySample(devices, rss * 1024, anonymous * 1024, file * 1024);
    }

    /// <summary>"VmRSS:    123456 kB" → 123456.</summary>
    private static long Kilobytes(string line)
    {
        var value = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        return long.Parse(value[..value.IndexOf(' ')], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Bytes per device between <paramref name="baseline"/> and this sample.</summary>
    public (double Rss, double Anonymous, double File) PerDeviceSince(MemorySample baseline)
    {
        double devices = Devices - baseline.Devices;
        return ((RssBytes - baseline.RssBytes) / devices, (AnonymousBytes - baseline.AnonymousBytes) / devices, (FileBytes - baseline.FileBytes) / devices);
    }
}
