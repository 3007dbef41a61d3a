namespace Convoy.EndToEnd.Tests;

/// <summary>The real GPS receiver captures in ../shared/data/nmea, beside the repository.</summary>
internal static class NmeaCaptures
{
    public static string Path(string name)
    {
        string? folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(System.IO.Path.Combine(folder, "Collector.sln")))
        {
            folder = System.IO.Path.GetDirectoryName(folder);
        }

        Assert.NotNull(folder);
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, "..", "shared", "data", "nmea", name));
    }
}
