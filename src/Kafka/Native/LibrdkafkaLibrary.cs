using System.Runtime.InteropServices;

namespace Convoy.Kafka.Native;

/// <summary>
/// Loads librdkafka (package librdkafka.redist, the library Confluent.Kafka also uses) for this
/// assembly's own P/Invoke calls.
/// </summary>
internal static class LibrdkafkaLibrary
{
    public const string Name = "librdkafka";
    private static int _resolverSet;

    /// <summary>Installs the resolver once for this assembly (it can only be set once).</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaLibrary).Assembly, Resolve);
        }
    }

    /// <summary>
    /// Finds librdkafka the way Confluent.Kafka does: the package ships several Linux builds
    /// (glibc with SASL, a self-contained "centos8" one, musl), and which one loads depends on the
    /// machine (Debian 12 lacks the libsasl2.so.3 the first needs), so try each in turn.
    /// </summary>
    private static nint Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Name)
        {
            return 0;
        }

        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        string portableRid = (OperatingSystem.IsLinux() ? "linux-" : OperatingSystem.IsMacOS() ? "osx-" : "win-")
            + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string portable = Path.Combine(AppContext.BaseDirectory, "runtimes", portableRid, "native");
        string[] files = OperatingSystem.IsWindows() ? ["librdkafka.dll"]
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"]
            : ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
        foreach (string folder in (string[])[AppContext.BaseDirectory, native, portable])
        {
            foreach (string file in files)
            {
                string path = Path.Combine(folder, file);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out nint handle))
                {
                    return handle;
                }
            }
        }

        return NativeLibrary.TryLoad(name, assembly, searchPath, out nint fallback) ? fallback : 0;
    }
}
