namespace Convoy.Collector.Ingest;

/// <summary>
/// Graceful shutdown, last step: when the collector stops, every open stream ends with its acks
/// and an UNAVAILABLE status (IngestService, on ApplicationStopping). This waits, before the web
/// server closes its connections, until those streams have ended and a moment more, so the
/// devices have read their final status: a connection closed right after its last stream can be
/// reset by the TCP stack and take that status with it, leaving the device a bare "INTERNAL".
/// <para>
/// The wait is in <see cref="StoppingAsync"/>, which the host runs before it stops any hosted
/// service (the web server is one of them) but also before it fires ApplicationStopping, so it
/// fires ApplicationStopping itself first. (Waiting in
/// StopAsync ran after the server had already closed its connections: a 1-in-12 flake of
/// KafkaTroubleTests.CollectorShutdown_... showed it.)
/// </para>
/// </summary>
internal sealed class StreamsEndBeforeServerStops : IHostedLifecycleService
{
    // How long a device has to read its final status once its stream ended, before the server
    // closes the connection; paid only when streams were open.
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);
    private readonly ActiveStreams _streams;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;

    public StreamsEndBeforeServerStops(ActiveStreams streams, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        _streams = streams;
        _time = time;
        _lifetime = lifetime;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The host runs StoppingAsync before it fires ApplicationStopping, which is what ends the
        // streams: fire it now (it fires once; the host's own call later does nothing), or this
        // would wait out MaxWait and the server would then close connections on statuses still
        // being written (measured: the device heard its status 11 s into the stop).
        _lifetime.StopApplication();
        if (_streams.Count == 0)
        {
            return; // no device to tell anything: nothing to wait for
        }

        long start = _time.GetTimestamp();
        while (_streams.Count > 0 && _time.GetElapsedTime(start) < MaxWait && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, CancellationToken.None);
        }

        await Task.Delay(Grace, _time, CancellationToken.None);
    }
}
