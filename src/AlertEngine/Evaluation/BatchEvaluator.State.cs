using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;

namespace Convoy.AlertEngine.Evaluation;

/// <summary>
/// Per-device rule state as <see cref="DeviceRuleState"/> snapshots: taken for the devices a batch
/// or the clock changed (the consumer writes them to the state topic before storing offsets), and
/// restored when a partition is assigned, so a rebalance or a restart continues every lifecycle
/// where the previous owner left it.
/// </summary>
internal sealed partial class BatchEvaluator
{
    private readonly List<DeviceState> _changed = [];

    /// <summary>Devices changed since the last <see cref="TakeChanged"/>.</summary>
    public int ChangedCount => _changed.Count;

    /// <summary>Devices whose rule state is held (those of the owned partitions).</summary>
    public int DeviceCount => _devices.Count;

    // Per record: a flag test and, the first time in a checkpoint, one list append (no allocation once the list has grown).
    private void Changed(DeviceState device)
    {
        if (!device.Changed)
        {
            device.Changed = true;
            _changed.Add(device);
        }
    }

    /// <summary>Appends a snapshot of every device changed since the last call, and starts a new round.</summary>
    public void TakeChanged(List<DeviceRuleState> snapshots)
    {
        foreach (var device in _changed)
        {
            device.Changed = false;
            snapshots.Add(Snapshot(device));
        }

        _changed.Clear();
    }

    /// <summary>The state kept for one device, or null when it has none.</summary>
    public DeviceRuleState? Snapshot(string tenant, string device) =>
        _devices.TryGet(tenant, device, out var state) ? Snapshot(state) : null;

    /// <summary>
    /// Takes over a device's state from the state topic. A device this evaluator already keeps state
    /// for is left as it is (its partition never left this engine, so its own state is newer); false then.
    /// </summary>
    public bool Restore(DeviceRuleState snapshot)
    {
        if (_devices.TryGet(snapshot.TenantId, snapshot.DeviceId, out _))
        {
            return false;
        }

        var device = FromSnapshot(snapshot);
        _devices.TryAdd(snapshot.TenantId, snapshot.DeviceId, device);
        RefreshRules(device, _time.GetUtcNow().ToUnixTimeMilliseconds(), alerts: null); // schedules its silent-device deadlines from the restored last arrival
        return true;
    }

    /// <summary>
    /// Forgets the devices of a partition this engine no longer owns (after their state was written,
    /// or, for a lost partition, without writing it: the new owner's may already be newer) and
    /// their held batches. Returns how many devices were forgotten.
    /// </summary>
    public int Forget(string topic, int partition)
    {
        DropHeld(topic, partition);
        var forgotten = new List<DeviceState>();
        foreach (var device in _devices.Values)
        {
            if (device.Partition == partition && string.Equals(device.Topic, topic, StringComparison.Ordinal))
            {
                device.Forgotten = true;
                forgotten.Add(device);
                if (device.Changed)
                {
                    device.Changed = false;
                    _changed.Remove(device);
                }
            }
        }

        foreach (var device in forgotten)
        {
            _devices.Remove(device.Tenant, device.Id);
        }

        return forgotten.Count;
    }

    private static DeviceRuleState Snapshot(DeviceState device)
    {
        // A held batch was counted in its sender's last sequence when it arrived but has not been
        // applied; its record's offset is not stored either, so the next owner reads it again: it
        // must not be a duplicate there. Batches applied after the oldest held one may then be
        // applied twice; their readings are older than the rules' last and are skipped (at least once).
        ulong lastSequence = device.LastSequence;
        var senderSequences = device.SenderSequences is null ? null : new Dictionary<string, ulong>(device.SenderSequences, StringComparer.Ordinal);
        foreach (var held in device.Held)
        {
            if (string.IsNullOrEmpty(held.Sender))
            {
                lastSequence = Math.Min(lastSequence, held.Sequence - 1);
            }
            else if (senderSequences is not null && senderSequences.TryGetValue(held.Sender, out ulong last))
            {
                senderSequences[held.Sender] = Math.Min(last, held.Sequence - 1);
            }
        }

        var snapshot = new DeviceRuleState
        {
            TenantId = device.Tenant,
            DeviceId = device.Id,
            Topic = device.Topic ?? "",
            Partition = device.Partition,
            LastSequence = lastSequence,
            LastArrivalMs = device.LastArrivalMs,
            LastFix = device.LastFix?.Clone(),
        };
        if (device.NewestMs != long.MinValue)
        {
            snapshot.NewestMs = device.NewestMs;
        }

        if (senderSequences is not null)
        {
            snapshot.SenderLastSequences.Add(senderSequences);
        }

        foreach (var ((rule, zone), state) in device.Thresholds)
        {
            var t = new ThresholdRuleState
            {
                RuleId = rule,
                Zone = zone,
                Phase = (uint)state.Phase,
                PendingSinceMs = state.PendingSinceMs,
                AlertStartMs = state.AlertStartMs,
                ClearSinceMs = state.ClearSinceMs,
                LastValue = state.LastValue,
            };
            if (state.LastReadingMs != long.MinValue)
            {
                t.LastReadingMs = state.LastReadingMs;
            }

            snapshot.Thresholds.Add(t);
        }

        foreach (var (rule, state) in device.FuelThefts)
        {
            var f = new FuelTheftRuleState
            {
                RuleId = rule,
                Firing = state.Firing,
                AlertStartMs = state.AlertStartMs,
                StartLevel = state.StartLevel,
                LowestLevel = state.LowestLevel,
                HasFix = state.HasFix,
                LastFixStationary = state.LastFixStationary,
            };
            if (state.LastReadingMs != long.MinValue)
            {
                f.LastReadingMs = state.LastReadingMs;
            }

            // Only the live part of the window (from Head): what precedes it is already discarded.
            for (int i = state.Head; i < state.Window.Count; i++)
            {
                f.WindowMs.Add(state.Window[i].AtMs);
                f.WindowLevel.Add(state.Window[i].Level);
            }

            snapshot.FuelThefts.Add(f);
        }

        foreach (var (rule, state) in device.Silences)
        {
            snapshot.Silences.Add(new SilentRuleState { RuleId = rule, Firing = state.Firing, AlertStartMs = state.AlertStartMs, SilentSinceMs = state.SilentSinceMs });
        }

        return snapshot;
    }

    private static DeviceState FromSnapshot(DeviceRuleState snapshot)
    {
        var device = new DeviceState(snapshot.TenantId, snapshot.DeviceId)
        {
            Topic = snapshot.Topic.Length > 0 ? snapshot.Topic : null,
            Partition = snapshot.Partition,
            LastSequence = snapshot.LastSequence,
            NewestMs = snapshot.HasNewestMs ? snapshot.NewestMs : long.MinValue,
            LastArrivalMs = snapshot.LastArrivalMs,
            LastFix = snapshot.LastFix?.Clone(),
        };
        foreach (var (sender, sequence) in snapshot.SenderLastSequences)
        {
            device.Passed(sender, sequence);
        }

        foreach (var t in snapshot.Thresholds)
        {
            device.Thresholds[(t.RuleId, t.Zone)] = new ThresholdState
            {
                Phase = t.Phase <= (uint)ThresholdPhase.Clearing ? (ThresholdPhase)t.Phase : ThresholdPhase.Normal,
                PendingSinceMs = t.PendingSinceMs,
                AlertStartMs = t.AlertStartMs,
                ClearSinceMs = t.ClearSinceMs,
                LastReadingMs = t.HasLastReadingMs ? t.LastReadingMs : long.MinValue,
                LastValue = t.LastValue,
            };
        }

        foreach (var f in snapshot.FuelThefts)
        {
            var state = new FuelTheftState
            {
                Firing = f.Firing,
                AlertStartMs = f.AlertStartMs,
                StartLevel = f.StartLevel,
                LowestLevel = f.LowestLevel,
                LastReadingMs = f.HasLastReadingMs ? f.LastReadingMs : long.MinValue,
                HasFix = f.HasFix,
                LastFixStationary = f.LastFixStationary,
            };
            int n = Math.Min(f.WindowMs.Count, f.WindowLevel.Count);
            for (int i = 0; i < n; i++)
            {
                state.Window.Add((f.WindowMs[i], f.WindowLevel[i]));
            }

            device.FuelThefts[f.RuleId] = state;
        }

        foreach (var s in snapshot.Silences)
        {
            device.Silences[s.RuleId] = new SilentState { Firing = s.Firing, AlertStartMs = s.AlertStartMs, SilentSinceMs = s.SilentSinceMs };
        }

        return device;
    }
}
