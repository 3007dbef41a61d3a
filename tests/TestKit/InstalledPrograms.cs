namespace Convoy.TestKit;

/// <summary>Finds the programs of Debian's packages that some fixtures run (Mosquitto, ClickHouse).</summary>
internal static class InstalledPrograms
{
    /// <summary>The first executable named <paramref name="name"/> on the PATH, else the first executable of <paramref name="candidates"/>.</summary>
    public static string? Find(string name, params string[] candidates)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string path = Path.Combine(folder, name);
            if (folder.Length > 0 && IsExecutable(path))
            {
                return path;
            }
        }

        return Array.Find(candidates, IsExecutable);
    }

    /// <summary>An executable file: a leftover or masked path (say, /dev/null mounted over it) is not an installed program.</summary>
    private static bool IsExecutable(string path) =>
        File.Exists(path) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
