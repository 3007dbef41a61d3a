namespace Convoy.TestKit;

/// <summary>The repository the tests were built from: its root, and the build configuration of the running tests.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The folder of Collector.sln, found by walking up from the running binaries.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>The build configuration of the running tests (Debug or Release), to find sibling programs' binaries.</summary>
    public static string Configuration =>
        Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;

    /// <summary>A path under the repository root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Collector.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Collector.sln above {AppContext.BaseDirectory}: the tests run from a build inside the repository.");
    }
}

/// <summary>Data the tests read, kept in the repository under tests/data with its licences.</summary>
public static class TestData
{
    /// <summary>A real GPS receiver capture from tests/data/nmea (gpsd's regression data, BSD-2-Clause).</summary>
    public static string NmeaCapture(string name)
    {
        string path = Repository.PathOf("tests", "data", "nmea", name);
        Assert.True(File.Exists(path), $"The capture {path} is missing from the repository.");
        return path;
    }
}
