using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Files;
using Convoy.Pki;

namespace Convoy.Collector.Authentication;

/// <summary>
/// The server certificate, the device trust roots and the revocation list, each followed on disk
/// (<see cref="FileFollower{T}"/>): when a file changes it is read again (checked at most once a
/// second, on the next TLS handshake or by <see cref="CertificateWatcher"/>), so certificates rotate
/// without a restart and without touching open streams. A file that cannot be read (say, caught
/// half-written) leaves the previous certificates in use, logged once, and is read again when it
/// changes again.
/// </summary>
internal sealed class CertificateFiles
{
    private readonly FileFollower<SslStreamCertificateContext> _server;
    private readonly FileFollower<X509Certificate2Collection> _roots;
    private readonly FileFollower<RevocationList>? _revoked;

    /// <summary>Loads the files now, so a bad one stops the start-up rather than the first handshake.</summary>
    /// <param name="paths">The files, and the development certificates' folder when they were made here.</param>
    /// <param name="time">The clock that paces the checks for changed files.</param>
    /// <param name="logger">Where reloads, and reloads that failed, are logged.</param>
    public CertificateFiles(CertificatePaths paths, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Paths = paths;
        _revoked = paths.RevocationList is { } revocations
            ? new FileFollower<RevocationList>([revocations], () => RevocationList.Load(revocations),
                (log, _) => CollectorLog.CertificatesReloaded(log, "revocation list", revocations), CollectorLog.CertificatesReloadFailed, time, logger)
            : null;
        _server = new FileFollower<SslStreamCertificateContext>([paths.Certificate, paths.Key], () => SslStreamCertificateContext.Create(CertificateIssuer.LoadPem(paths.Certificate, paths.Key), additionalCertificates: null),
            (log, _) => CollectorLog.CertificatesReloaded(log, "server certificate", paths.Certificate), CollectorLog.CertificatesReloadFailed, time, logger);
        _roots = new FileFollower<X509Certificate2Collection>([paths.TrustRoots], () => LoadRoots(paths.TrustRoots),
            (log, _) => CollectorLog.CertificatesReloaded(log, "device trust roots", paths.TrustRoots), CollectorLog.CertificatesReloadFailed, time, logger);
    }

    /// <summary>Where the files are.</summary>
    public CertificatePaths Paths { get; }

    public X509Certificate2 ServerCertificate => _server.Current.TargetCertificate;

    /// <summary>
    /// The server certificate as TLS uses it, made once per certificate file read rather than once
    /// per handshake: every connection then shares one OpenSSL context (SSL_CTX) and one built
    /// chain, instead of each keeping its own for as long as it is open (docs/benchmarks.md,
    /// memory per connected device).
    /// </summary>
    public SslStreamCertificateContext ServerCertificateContext => _server.Current;

    /// <summary>The revoked device certificates (empty without Collector:RevocationList).</summary>
    public RevocationList Revoked => _revoked?.Current ?? RevocationList.Empty;

    public X509Certificate2Collection TrustRoots => _roots.Current;

    /// <summary>Re-reads changed files (at most once a second); called by <see cref="CertificateWatcher"/>.</summary>
    public void Refresh()
    {
        _server.Refresh();
        _roots.Refresh();
        _revoked?.Refresh();
    }

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = CertificateIssuer.LoadPemCertificates(path);
        return roots.Count > 0 ? roots : throw new ArgumentException($"{path} holds no PEM certificate");
    }
}

/// <summary>
/// The collector's certificate files: those <c>Collector:ServerCertificate</c>, <c>Collector:ServerKey</c>,
/// <c>Collector:DeviceTrustRoots</c> and <c>Collector:RevocationList</c> name, or the development
/// certificates made in <see cref="DevelopmentFolder"/>.
/// </summary>
internal sealed record CertificatePaths(string Certificate, string Key, string TrustRoots, string? RevocationList, string? DevelopmentFolder)
{
    /// <summary>The files the options name, making the development certificates first when they ask for them.</summary>
    public static CertificatePaths Of(CollectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.UsesDevCertificates)
        {
            var dev = DevCertificates.Ensure(options.DevCertificatesFolder);
            return new(dev.ServerCertificatePath, dev.ServerKeyPath, dev.AuthorityCertificatePath, options.RevocationList, dev.Folder);
        }

        return new(options.ServerCertificate!, options.ServerKey!, options.DeviceTrustRoots!, options.RevocationList, null);
    }
}
