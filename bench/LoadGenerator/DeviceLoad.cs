using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Convoy.LoadGenerator;

/// <summary>
/// One simulated device: its own mTLS connection and stream, sending batches within the window
/// and timing each from write to the ack that covers it.
/// </summary>
internal sealed class DeviceLoad : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly string _device;
    private readonly LoadOptions _options;
    private readonly TelemetryBatch _template;
    private readonly long[] _sentAt;
    private readonly SemaphoreSlim _window;
    private ulong _acked;

    public DeviceLoad(Uri collector, X509Certificate2 certificate, X509Certificate2Collection trustRoots, string device, LoadOptions options)
    {
        _device = device;
        _options = options;
        _sentAt = new long[Math.Max(1024, options.Window * 4)];
        _window = new SemaphoreSlim(options.Window, options.Window);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) => CertificateTrust.IsTrusted((X509Certificate2)server!, trustRoots, out _),
            },
            EnableMultipleHttp2Connections = false,
        };
        _channel = GrpcChannel.ForAddress(collector, new GrpcChannelOptions { HttpHandler = handler });
        _template = Template(device, options.ReadingsPerSensor);
    }

    public long AckedBatches { get; private set; }

    /// <summary>True once the collector acknowledged anything: the connection, TLS and stream are up.</summary>
    public bool Started => Volatile.Read(ref _acked) > 0;

    public int ReadingsPerBatch => _options.ReadingsPerSensor * 4;

    /// <summary>Connection attempts that failed before the collector acknowledged anything.</summary>
    public int FailedConnects { get; private set; }

    /// <summary>
    /// Sends until <paramref name="stop"/>; records ack latencies in microseconds while <paramref name="measuring"/> is set.
    /// Like an agent, a device whose connection or stream fails before its first ack (a refused or
    /// timed-out handshake in a reconnect storm) tries again after an exponential backoff with jitter.
    /// </summary>
    public async Task RunAsync(LongHistogram latencies, Func<bool> measuring, CancellationToken stop)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await StreamAsync(latencies, measuring, stop);
                return;
            }
            catch (RpcException) when (!Started && !stop.IsCancellationRequested)
            {
                FailedConnects++;
                _window.Release(_options.Window - _window.CurrentCount);
#pragma warning disable CA5394 // load shaping, not security
                var delay = backoff * (0.5 + Random.Shared.NextDouble());
#pragma warning restore CA5394
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task StreamAsync(LongHistogram latencies, Func<bool> measuring, CancellationToken stop)
    {
        var client = new Ingest.IngestClient(_channel);
        using var call = client.Stream(cancellationToken: CancellationToken.None);
        var receiving = ReceiveAsync(call.ResponseStream, latencies, measuring);
        ulong sequence = 0;
        // Fleet devices send once per interval, starting at a random phase; bulk devices as fast as the window allows.
#pragma warning disable CA5394 // load shaping, not security
        using var timer = _options.IsFleet ? new PeriodicTimer(TimeSpan.FromSeconds(_options.IntervalSeconds)) : null;
        if (timer is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(Random.Shared.NextDouble() * _options.IntervalSeconds), CancellationToken.None);
        }
#pragma warning restore CA5394
        try
        {
            while (!stop.IsCancellationRequested && !receiving.IsCompleted)
            {
                if (timer is not null && !await timer.WaitForNextTickAsync(stop))
                {
                    break;
                }

                await _window.WaitAsync(stop);
                sequence++;
                _template.Sequence = sequence;
                _template.BaseTimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
                Volatile.Write(ref _sentAt[sequence % (ulong)_sentAt.Length], Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(_template, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // Time is up.
        }
        catch (RpcException) when (receiving.IsCompleted)
        {
            // The stream ended: the reason is the response side's status, thrown below.
        }
        catch (InvalidOperationException) when (receiving.IsCompleted)
        {
            // Writing after the call completed: the reason is the response side's status, thrown below.
        }

        if (!receiving.IsCompleted)
        {
            await call.RequestStream.CompleteAsync();
        }

        await receiving;
    }

    private async Task ReceiveAsync(IAsyncStreamReader<IngestAck> acks, LongHistogram latencies, Func<bool> measuring)
    {
        try
        {
            while (await acks.MoveNext(CancellationToken.None))
            {
                ulong acked = acks.Current.AckedSequence;
                long now = Stopwatch.GetTimestamp();
                for (ulong s = _acked + 1; s <= acked; s++)
                {
                    if (measuring())
                    {
                        long micros = (long)Stopwatch.GetElapsedTime(Volatile.Read(ref _sentAt[s % (ulong)_sentAt.Length]), now).TotalMicroseconds;
                        lock (latencies)
                        {
                            latencies.RecordValue(Math.Max(1, micros));
                        }

                        AckedBatches++;
                    }

                    _window.Release();
                }

                _acked = Math.Max(_acked, acked);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            // Stopped.
        }
    }

    /// <summary>A batch of four sensors (GPS, two reefer zones, fuel), <paramref name="readingsPerSensor"/> readings each, 10 ms apart.</summary>
    private static TelemetryBatch Template(string device, int readingsPerSensor)
    {
        var batch = new TelemetryBatch { DeviceId = device, Gps = new GpsColumns(), Fuel = new FuelColumns { TankCapacityL = 600 } };
        var zones = new[] { new TemperatureColumns { Zone = 1 }, new TemperatureColumns { Zone = 2 } };
        for (int i = 0; i < readingsPerSensor; i++)
        {
            uint offset = (uint)i * 10;
            batch.Gps.OffsetMs.Add(offset);
            batch.Gps.LatitudeDeg.Add(52.37 + (i * 1e-6));
            batch.Gps.LongitudeDeg.Add(4.90 + (i * 1e-6));
            batch.Gps.SpeedKmh.Add(80);
            batch.Gps.HeadingDeg.Add(90);
            foreach (var zone in zones)
            {
                zone.OffsetMs.Add(offset);
                zone.TemperatureC.Add(zone.Zone == 1 ? 3.5f : -18f);
            }

            batch.Fuel.OffsetMs.Add(offset);
            batch.Fuel.LevelPercent.Add(60);
        }

        batch.Temperatures.Add(zones);
        return batch;
    }

    public void Dispose()
    {
        _channel.Dispose();
        _window.Dispose();
    }
}
