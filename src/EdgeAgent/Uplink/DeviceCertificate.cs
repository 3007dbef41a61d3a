using System.Security.Cryptography.X509Certificates;
using Convoy.Files;
using Convoy.Pki;
using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// The device's client certificate, followed on disk (<see cref="FileFollower{T}"/>): when the
/// certificate or key file changes (a rotation pushed by fleet management), the next TLS handshake
/// presents the new one (within a second), with no restart. A pair caught half-written is not
/// used, and is read again when the files change again; the one in use stays until then.
/// </summary>
internal sealed class DeviceCertificate
{
    private readonly FileFollower<X509Certificate2> _files;

    /// <summary>Loads the pair now, so a bad one stops the uplink at start.</summary>
    /// <param name="device">The device, as its log events name it (<c>tenant/device</c>).</param>
    /// <param name="certificatePath">The device certificate, PEM.</param>
    /// <param name="keyPath">Its private key, PEM.</param>
    /// <param name="time">The clock that paces the checks for changed files.</param>
    /// <param name="logger">Where reloads, and reloads that failed, are logged.</param>
    public DeviceCertificate(string device, string certificatePath, string keyPath, TimeProvider time, ILogger logger) =>
        _files = new FileFollower<X509Certificate2>([certificatePath, keyPath], () => CertificateIssuer.LoadPem(certificatePath, keyPath),
            (log, _) => EdgeAgentLog.DeviceCertificateReloaded(log, device, certificatePath),
            (log, reason) => EdgeAgentLog.DeviceCertificateReloadFailed(log, device, reason), time, logger);

    /// <summary>The certificate to present now (re-read if the files changed).</summary>
    public X509Certificate2 Current => _files.Current;
}
