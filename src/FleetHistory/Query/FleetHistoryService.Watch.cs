using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;
using Grpc.Core;

namespace Convoy.FleetHistory.Query;

/// <summary>WatchFleet: a snapshot of the selected devices, then what each projector flush of the tenant changed of them.</summary>
internal sealed partial class FleetHistoryService
{
    private const int SnapshotPage = 1000;

    public override async Task WatchFleet(WatchFleetRequest request, IServerStreamWriter<FleetChange> responseStream, ServerCallContext context)
    {
        QueryCaller caller;
        List<string>? selection;
        try
        {
            caller = await _gate.AdmitAsync(context, FleetRole.Viewer);
            selection = Selection(caller, request.DeviceIds, request.Tags);
        }
        catch (RpcException e)
        {
            _metrics.Query(nameof(WatchFleet), e.StatusCode.ToString());
            throw;
        }

        // Watching before the snapshot is read: a flush in between is sent again as a change
        // (harmless), never missed.
        using var watcher = _watchers.Watch(caller.Tenant, _options.WatchBacklog);
        using var expired = new CancellationTokenSource(Until(caller.ExpiresAt), _time);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping, expired.Token);
        var named = request.DeviceIds.Count > 0 ? new HashSet<string>(request.DeviceIds, StringComparer.Ordinal) : null;
        string[] tags = [.. request.Tags];
        long sent = 0;
        string why = "the caller ended the call";
        var status = StatusCode.OK;
        try
        {
            var snapshot = new FleetChange { Snapshot = true };
            if (selection is not { Count: 0 })
            {
                snapshot.Devices.AddRange(await Task.Run(() => Snapshot(caller.Tenant, selection), watching.Token));
            }

            _rules.Tag(caller.Tenant, snapshot.Devices);
            await responseStream.WriteAsync(snapshot, watching.Token);
            FleetHistoryLog.WatchStarted(_logger, caller.Tenant, caller.Subject, snapshot.Devices.Count);
            await foreach (var notice in watcher.Notices.ReadAllAsync(watching.Token))
            {
                var change = await Task.Run(() => Change(caller.Tenant, notice, named, tags), watching.Token);
                if (change.Devices.Count == 0 && change.Alerts.Count == 0)
                {
                    continue; // nothing of the devices this watch selects
                }

                await responseStream.WriteAsync(change, watching.Token);
                sent++;
            }

            // The notices ended without the call ending: the watcher fell behind.
            status = StatusCode.ResourceExhausted;
            why = $"it fell more than {watcher.Backlog} flushes behind";
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"this watch fell more than {watcher.Backlog} flushes of changes behind the fleet and was ended; read the stream faster, and watch again (the first message is a fresh snapshot)"));
        }
        catch (OperationCanceledException) when (watching.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested && expired.IsCancellationRequested)
        {
            status = StatusCode.Unauthenticated;
            why = "the token expired";
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the token expired; watch again with a fresh token"));
        }
        catch (OperationCanceledException) when (watching.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested && _stopping.IsCancellationRequested)
        {
            status = StatusCode.Unavailable;
            why = "the fleet history is shutting down";
            throw new RpcException(new Status(StatusCode.Unavailable, "the fleet history is shutting down; watch again (on another instance)"));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
        }
        catch (StoreUnavailableException e)
        {
            status = StatusCode.Unavailable;
            why = "the store is unavailable";
            FleetHistoryLog.StoreReadFailed(_logger, caller.Tenant, e.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "the fleet history store is unavailable right now; watch again shortly"));
        }
        finally
        {
            _metrics.Query(nameof(WatchFleet), status.ToString());
            FleetHistoryLog.WatchEnded(_logger, caller.Tenant, caller.Subject, sent, why);
        }
    }

    /// <summary>Every selected device (null = every device of the tenant), all pages.</summary>
    private List<DeviceState> Snapshot(string tenant, List<string>? selection)
    {
        var devices = new List<DeviceState>();
        string after = "";
        while (true)
        {
            var page = _store.FleetState(tenant, selection ?? [], after, SnapshotPage);
            devices.AddRange(page);
            if (page.Count < SnapshotPage)
            {
                return devices;
            }

            after = page[^1].DeviceId;
        }
    }

    /// <summary>The new state of the devices a flush changed and the alerts it wrote, of the devices the watch selects.</summary>
    private FleetChange Change(string tenant, FlushNotice notice, HashSet<string>? named, string[] tags)
    {
        // Tags are read now, not when the watch began: a rule file changed meanwhile counts.
        bool Selected(string device) =>
            (named is null || named.Contains(device)) && (tags.Length == 0 || tags.All(_rules.TagsOf(tenant, device).Contains));

        var change = new FleetChange();
        var devices = notice.Devices.Where(Selected).ToList();
        if (devices.Count > 0)
        {
            change.Devices.AddRange(_store.FleetState(tenant, devices, "", devices.Count));
            _rules.Tag(tenant, change.Devices);
        }

        if (notice.AlertIds.Count > 0)
        {
            var filter = new AlertFilter("", "", AlertState.Unspecified, 0, 0, notice.AlertIds);
            change.Alerts.AddRange(_store.Alerts(tenant, filter, null, notice.AlertIds.Count).Where(a => Selected(a.DeviceId)));
        }

        return change;
    }

    private TimeSpan Until(DateTimeOffset? expiresAt)
    {
        // CancellationTokenSource takes at most ~49 days; a token that outlives that is cut there.
        var left = expiresAt is { } at ? at - _time.GetUtcNow() : TimeSpan.FromDays(40);
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > TimeSpan.FromDays(40) ? TimeSpan.FromDays(40) : left;
    }
}
