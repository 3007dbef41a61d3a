using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Re-reads the certificate files every second even when no device connects, and closes the open
/// streams of devices whose certificates have just been revoked: revocation must not wait for the
/// device to reconnect.
/// </summary>
internal sealed class CertificateWatcher : BackgroundService
{
    private readonly CertificateFiles _files;
    private readonly ConcurrentDictionary<CancellationTokenSource, X509Certificate2> _streams = new();

    public CertificateWatcher(CertificateFiles files) => _files = files;

    /// <summary>True when the certificate is on the revocation list now.</summary>
    public bool IsRevoked(X509Certificate2 certificate) => _files.Revoked.IsRevoked(certificate);

    /// <summary>Follows an open stream; <paramref name="revoked"/> is cancelled if its certificate is revoked. Dispose to stop.</summary>
    public IDisposable Follow(X509Certificate2 certificate, CancellationTokenSource revoked)
    {
        _streams[revoked] = certificate;
        return new Following(this, revoked);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var seen = _files.Revoked;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            _files.Refresh();
            var revoked = _files.Revoked;
            if (ReferenceEquals(revoked, seen))
            {
                continue;
            }

            seen = revoked;
            foreach (var (stream, certificate) in _streams)
            {
                if (revoked.IsRevoked(certificate))
                {
                    await stream.CancelAsync();
                }
            }
        }
    }

    private sealed class Following(CertificateWatcher watcher, CancellationTokenSource stream) : IDisposable
    {
        public void Dispose() => watcher._streams.TryRemove(stream, out _);
    }
}
