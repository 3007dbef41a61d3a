namespace Convoy.EndToEnd.Tests;

/// <summary>The repository these tests were built from, and what lies beside it.</summary>
internal static class Repository
{
    /// <summary>The folder of Collector.sln, found by walking up from the test binaries.</summary>
    public static string Root
    {
        get
        {
            string? folder = AppContext.BaseDirectory;
            while (folder is not null && !File.Exists(System.IO.Path.Combine(folder, "Collector.sln")))
            {
                folder = System.IO.Path.GetDirectoryName(folder);
            }

            Assert.NotNull(folder);
            return folder;
        }
    }

    /// <summary>The build configuration of these tests (Debug or Release), to find sibling programs' binaries.</summary>
    public static string Configuration =>
        System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)))!;
}

/// <summary>The real GPS receiver captures in ../shared/data/nmea, beside the repository.</summary>
internal static class NmeaCaptures
{
    public static string Path(string name) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(Repository.Root, "..", "shared", "data", "nmea", name));
}
