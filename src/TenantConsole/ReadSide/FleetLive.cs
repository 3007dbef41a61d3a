using System.Collections.Concurrent;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Grpc.Core;

namespace Convoy.TenantConsole.ReadSide;

/// <summary>
/// The signed-in person's fleet as it changes, for one browser tab (a Blazor circuit): one
/// WatchFleet stream from the read side, as that person, kept open while the tab is, and watched
/// again after a break. Pages read <see cref="Devices"/> and <see cref="RecentAlerts"/> and
/// re-render on <see cref="Changed"/>; the circuit pushes what changed to the browser.
/// </summary>
public sealed class FleetLive : IAsyncDisposable
{
    private const int RecentAlertsKept = 200;
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);
    private readonly ReadSideClient _readSide;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Alert[] _recentAlerts = [];
    private readonly CancellationTokenRegistration _onStopping;
    private Task? _watching;

    internal FleetLive(ReadSideClient readSide, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        _readSide = readSide;
        _logger = loggers.CreateLogger("Convoy.TenantConsole");
        // A tab's circuit can outlive its browser by minutes (Blazor keeps disconnected circuits);
        // when the console stops, its watches end first, so no change arrives to render into a
        // circuit whose services are being disposed.
        _onStopping = lifetime.ApplicationStopping.Register(static s => ((CancellationTokenSource)s!).Cancel(), _stop);
    }

    /// <summary>True once the watch has ended for good (the tab closed or the console is stopping): nothing more is rendered.</summary>
    public bool Stopped => _stop.IsCancellationRequested;

    /// <summary>Raised (on the stream's thread) after each change was applied.</summary>
    public event Action? Changed;

    /// <summary>The tenant's devices, by id, as of the newest change.</summary>
    public IReadOnlyDictionary<string, DeviceState> Devices => _devices;

    /// <summary>Alerts that changed while the page was open, newest first.</summary>
    public IReadOnlyList<Alert> RecentAlerts => Volatile.Read(ref _recentAlerts);

    /// <summary>True once the first snapshot arrived.</summary>
    public bool HasSnapshot { get; private set; }

    /// <summary>Why the fleet is not live now; null while it is.</summary>
    public string? Problem { get; private set; }

    /// <summary>When the newest change arrived.</summary>
    public DateTimeOffset? LastChange { get; private set; }

    /// <summary>Starts watching as <paramref name="user"/>, once per circuit.</summary>
    public void Start(TenantUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            _watching ??= Task.Run(() => WatchAsync(user, _stop.Token));
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for the first snapshot, or for the reason there is none.</summary>
    public Task FirstAnswerAsync(TimeSpan timeout) => _firstAnswer.Task.WaitAsync(timeout).ContinueWith(static _ => { }, TaskScheduler.Default);

    /// <summary>An alert changed here (e.g. acknowledged on this page): shown at once, before the stream brings it.</summary>
    public void Apply(Alert alert)
    {
        ApplyAlerts([alert]);
        Changed?.Invoke();
    }

    private async Task WatchAsync(TenantUser user, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var call = _readSide.Fleet.WatchFleet(new WatchFleetRequest(), ReadSideClient.Streaming(user, stop));
                await foreach (var change in call.ResponseStream.ReadAllAsync(stop))
                {
                    if (change.Snapshot)
                    {
                        _devices.Clear();
                        HasSnapshot = true;
                    }

                    foreach (var device in change.Devices)
                    {
                        _devices[device.DeviceId] = device;
                    }

                    ApplyAlerts(change.Alerts);
                    Problem = null;
                    LastChange = DateTimeOffset.UtcNow;
                    delay = TimeSpan.FromMilliseconds(500);
                    _firstAnswer.TrySetResult();
                    Changed?.Invoke();
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e)
            {
                Problem = ReadSideClient.Explain(e);
                _firstAnswer.TrySetResult();
                Changed?.Invoke();
                string status = e.StatusCode.ToString();
                int delayMs = (int)delay.TotalMilliseconds;
                if (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                {
                    ConsoleLog.ReadSideRefused(_logger, "WatchFleet", user.Tenant, status, e.Status.Detail);
                    return;
                }

                ConsoleLog.WatchInterrupted(_logger, user.Tenant, status, e.Status.Detail, delayMs);
            }

            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
        }
    }

    private void ApplyAlerts(IEnumerable<Alert> alerts)
    {
        lock (_gate)
        {
            var recent = new List<Alert>(RecentAlertsKept);
            var changed = alerts.ToList();
            recent.AddRange(changed.AsEnumerable().Reverse());
            foreach (var old in _recentAlerts)
            {
                if (recent.Count >= RecentAlertsKept)
                {
                    break;
                }

                if (!changed.Any(a => a.AlertId == old.AlertId))
                {
                    recent.Add(old);
                }
            }

            Volatile.Write(ref _recentAlerts, [.. recent]);
            // An acknowledgement or resolution also shows on the device's firing alerts.
            foreach (var alert in changed)
            {
                if (_devices.TryGetValue(alert.DeviceId, out var device))
                {
                    var updated = device.Clone();
                    updated.FiringAlerts.Clear();
                    updated.FiringAlerts.AddRange(device.FiringAlerts.Where(a => a.AlertId != alert.AlertId));
                    if (alert.State == AlertState.Firing)
                    {
                        updated.FiringAlerts.Add(alert);
                    }

                    _devices[alert.DeviceId] = updated;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _onStopping.DisposeAsync();
        await _stop.CancelAsync();
        if (_watching is { } watching)
        {
            try
            {
                await watching;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }
}
