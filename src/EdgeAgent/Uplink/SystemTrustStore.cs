using System.Runtime.InteropServices;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// Keeps the operating system's CA bundle out of the agent. At every TLS handshake .NET builds an
/// X509Chain for the device's own certificate with the system trust (only to find intermediates to
/// send), and on Linux the first such build reads and caches the whole bundle (/etc/ssl/certs,
/// about 140 CAs): 1 MB more managed allocation at start-up and 1.8 MB more peak RSS on a gateway
/// whose budget is 25 MB. The agent never trusts that bundle (a collector must chain to
/// EdgeAgent:TrustRoots, checked by <see cref="Pki.CertificateTrust"/>), and a Convoy device
/// certificate is issued straight by a CA the collector holds, so there is nothing in it to find.
/// The agent process therefore points OpenSSL's default locations, SSL_CERT_FILE and SSL_CERT_DIR,
/// at nothing, unless the MQTT input verifies its broker against the system store
/// (<see cref="EdgeAgentHost.UsesSystemTrustStore"/>).
/// </summary>
internal static partial class SystemTrustStore
{
    /// <summary>
    /// Empties OpenSSL's default store for this process, overriding SSL_CERT_FILE and SSL_CERT_DIR.
    /// Call before the first TLS handshake and before other threads read the environment (setenv is
    /// not thread-safe). False when setenv failed or is missing (the bundle is then loaded, as before).
    /// </summary>
    public static bool LeaveOut()
    {
        // Set in the native environment, where OpenSSL and .NET's crypto shim read them
        // (Environment.SetEnvironmentVariable only changes the managed copy on Unix). An empty
        // SSL_CERT_DIR also stops .NET from falling back to /etc/ssl/certs.
        try
        {
            return SetEnvironment("SSL_CERT_FILE", string.Empty, overwrite: 1) == 0
                && SetEnvironment("SSL_CERT_DIR", string.Empty, overwrite: 1) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without setenv: the bundle is loaded, as before, and nothing else changes
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
