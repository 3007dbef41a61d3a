using System.Buffers;
using Convoy.AlertEngine.Kernels;
using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry;

namespace Convoy.AlertEngine.Evaluation;

/// <summary>What became of a record offered to the <see cref="BatchEvaluator"/>.</summary>
internal enum BatchOutcome
{
    /// <summary>Run through the rules now.</summary>
    Evaluated,

    /// <summary>Its sequence was already passed: dropped (effectively once).</summary>
    Duplicate,

    /// <summary>All its readings are older than the device's newest minus the allowed lateness: counted, not applied.</summary>
    TooLate,

    /// <summary>A reading lies further ahead of when the batch was received than the allowed clock skew: counted, not applied, event time not moved.</summary>
    TooFarAhead,

    /// <summary>Held (a copy) to be applied in event-time order once the lateness has passed; see <see cref="BatchEvaluator.Tick"/>.</summary>
    Held,

    /// <summary>Not a readable batch.</summary>
    Unreadable,
}

/// <summary>Where a record came from, so the consumer can store offsets only past what was applied.</summary>
internal readonly record struct RecordPosition(string Topic, int Partition, long Offset);

/// <summary>
/// What the collector recorded about a batch in its record's headers, beyond tenant and device:
/// <see cref="Sender"/> (header convoy-sender) is null for the device itself, partner:&lt;sub&gt; for a
/// partner writing for it; each sender's sequences are de-duplicated apart. <see cref="ReceivedAtMs"/>
/// (header convoy-received-ms) is when the collector took it, 0 when unknown (then the engine's clock stands in).
/// </summary>
internal readonly record struct RecordSource(string? Sender = null, long ReceivedAtMs = 0);

/// <summary>
/// Runs each batch of a device through its tenant's rules, in event time, and turns the state
/// changes into alerts. Reads the batch's columns in place from the Kafka record (<see cref="BatchView"/>:
/// no per-reading objects). Drops a batch whose sequence its sender has already passed for the
/// device (effectively once; each sender, the device itself or a partner writing for it, numbers
/// its batches apart: <see cref="RecordSource"/>). Holds per-device state; one instance per
/// consumer (not thread-safe).
/// </summary>
/// <remarks>
/// Lateness: a device's watermark is its newest reading seen minus <c>allowedLateness</c>. A batch
/// whose newest reading is older than the watermark is too late: counted, not applied. With a
/// lateness of zero every other batch is applied at once, and a reading older than the last one a
/// rule evaluated is skipped by that rule (counted as a late reading). With a lateness above zero
/// a batch is held (a pooled copy) and applied in event-time order (oldest first reading first)
/// once the watermark has passed its newest reading, or once it has been held for the lateness on
/// the engine's clock (so a device that stops sending does not keep its last batches forever).
/// Silent-device rules are driven by the same clock through <see cref="Tick"/>.
/// <para>
/// The watermark only moves as far as the collector would have accepted: a batch with a reading
/// more than the allowed clock skew after the batch was received (<see cref="RecordSource.ReceivedAtMs"/>,
/// the same bound the collector applies against its clock) is <see cref="BatchOutcome.TooFarAhead"/>.
/// Without it one reading 49 days ahead (issue 12.3, written before the collector checked every
/// reading's time) made every later reading of the device too late, and its alerts silent.
/// </para>
/// </remarks>
internal sealed partial class BatchEvaluator
{
    private readonly RuleCatalog _rules;
    private readonly Action<string, int>? _lateReadings;
    private readonly TimeProvider _time;
    private readonly long _latenessMs;
    private readonly long _maxSkewMs;
    private readonly DeviceDirectory<DeviceState> _devices = new();
    private readonly List<AlertChange> _changes = [];
    private readonly PriorityQueue<(DeviceState Device, SilentRule Rule), long> _silences = new();
    private readonly HashSet<DeviceState> _holding = [];
    private readonly List<DeviceState> _scratchDevices = [];
    private readonly List<(string Rule, uint Zone)> _scratchThresholds = [];
    private readonly List<DeviceState> _restoredUnchecked = [];
    private int _rulesGeneration;
    private long _heldDueMs = long.MaxValue; // no held batch is due on the clock before this
    private ulong[] _maskA = new ulong[64];
    private ulong[] _maskB = new ulong[64];
    private ulong[] _maskC = new ulong[64];
    private float[] _rates = new float[4096];

    /// <summary>The options-configured rules for every tenant, evaluated at once (no lateness), on the system clock.</summary>
    public BatchEvaluator(AlertEngineOptions options)
        : this(new RuleCatalog(TenantRules.FromOptions(options)), TimeProvider.System, TimeSpan.Zero, maxClockSkew: options.MaxClockSkew)
    {
    }

    /// <param name="rules">Every tenant's rules, as the rules folder and the options make them.</param>
    /// <param name="time">The clock that releases batches held for lateness (<see cref="Tick"/>).</param>
    /// <param name="allowedLateness">How far behind a device's newest reading a batch may be and still be applied in event-time order; zero applies every batch on arrival.</param>
    /// <param name="lateReadings">Told (tenant, count) of the readings that batches released by <see cref="Tick"/> skipped as late; those of <see cref="Offer"/> are its out value.</param>
    /// <param name="maxClockSkew">How far ahead of its receipt a reading may be; <see cref="AlertEngineOptions.DefaultMaxClockSkew"/> when null.</param>
    public BatchEvaluator(RuleCatalog rules, TimeProvider time, TimeSpan allowedLateness, Action<string, int>? lateReadings = null, TimeSpan? maxClockSkew = null)
    {
        _maxSkewMs = (long)(maxClockSkew ?? AlertEngineOptions.DefaultMaxClockSkew).TotalMilliseconds;
        _lateReadings = lateReadings;
        _rules = rules;
        _rulesGeneration = rules.Generation;
        _time = time;
        _latenessMs = (long)allowedLateness.TotalMilliseconds;
    }

    /// <summary>
    /// Evaluates one encoded batch at once, appending the alerts it raised. False when it was a
    /// duplicate, too late, or (with a lateness) held. A record that is not a readable batch is
    /// reported through <paramref name="problem"/>.
    /// </summary>
    public bool Evaluate(string tenant, ReadOnlySpan<byte> payload, List<Alert> alerts, out int lateReadings, out string? problem) =>
        Offer(tenant, payload, default, alerts, null, out lateReadings, out problem) == BatchOutcome.Evaluated;

    /// <summary>
    /// Offers one record. Appends the alerts it (and any held batch it released) raised, and the
    /// positions of held records released by it to <paramref name="released"/>. <paramref name="source"/>
    /// is what the record's headers say of its sender (default: the device itself).
    /// </summary>
    public BatchOutcome Offer(string tenant, ReadOnlySpan<byte> payload, RecordPosition position, List<Alert> alerts, List<RecordPosition>? released,
        out int lateReadings, out string? problem, RecordSource source = default)
    {
        lateReadings = 0;
        if (!BatchView.TryRead(payload, out var batch, out problem))
        {
            return BatchOutcome.Unreadable;
        }

        if (batch.DeviceId.IsEmpty)
        {
            // An empty record (a tombstone, or written by something other than the collector, which
            // refuses a batch without its device) names no device to keep state for.
            problem = "it names no device (device_id is empty)";
            return BatchOutcome.Unreadable;
        }

        var device = Device(tenant, batch.DeviceId);
        if (batch.Sequence <= device.LastSequenceOf(source.Sender))
        {
            return BatchOutcome.Duplicate;
        }

        device.Passed(source.Sender, batch.Sequence);
        device.Topic = position.Topic;
        device.Partition = position.Partition;
        Changed(device);
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        RefreshRules(device, now, alerts);
        bool hasReadings = Span(batch, out long oldest, out long newest);
        Arrived(device, batch.Sequence, hasReadings ? oldest : now, now, alerts);
        if (!hasReadings)
        {
            return BatchOutcome.Evaluated; // a heartbeat: alive, nothing to evaluate
        }

        if (newest > (source.ReceivedAtMs > 0 ? source.ReceivedAtMs : now) + _maxSkewMs)
        {
            lateReadings = Readings(batch);
            return BatchOutcome.TooFarAhead; // the device's event time stays where its plausible readings put it
        }

        if (device.NewestMs != long.MinValue && newest < device.NewestMs - _latenessMs)
        {
            lateReadings = Readings(batch);
            return BatchOutcome.TooLate;
        }

        device.NewestMs = Math.Max(device.NewestMs, newest);
        if (_latenessMs == 0)
        {
            lateReadings = Apply(device, batch, alerts);
            return BatchOutcome.Evaluated;
        }

        Hold(device, payload, oldest, newest, batch.Sequence, source.Sender, position, now);
        lateReadings = Release(device, now, alerts, released);
        return BatchOutcome.Held;
    }

    /// <summary>
    /// What the clock decides, with no reading to decide it: silent devices' alerts, and held
    /// batches whose lateness has passed on the engine's clock. Call it regularly (the consumer does
    /// between records and while idle). Returns the late readings the released batches skipped.
    /// </summary>
    public int Tick(List<Alert> alerts, List<RecordPosition>? released)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var device in _restoredUnchecked)
        {
            if (!device.Forgotten)
            {
                ResolveRemoved(device, null, now, alerts);
            }
        }

        _restoredUnchecked.Clear();
        int generation = _rules.Generation;
        if (generation != _rulesGeneration)
        {
            // The rules were reloaded: every device picks up its new rules now, not at its next
            // batch, so the alerts of rules taken away resolve even for a device that stopped sending.
            _rulesGeneration = generation;
            foreach (var device in _devices.Values)
            {
                RefreshRules(device, now, alerts);
            }
        }

        while (_silences.TryPeek(out var entry, out long deadline) && deadline <= now)
        {
            _silences.Dequeue();
            if (!entry.Device.Forgotten)
            {
                CheckSilence(entry.Device, entry.Rule, now, alerts);
            }
        }

        int late = 0;
        if (_holding.Count > 0 && now >= _heldDueMs)
        {
            // Only when some held batch is due on the clock: this runs between every two records.
            _scratchDevices.Clear();
            _scratchDevices.AddRange(_holding);
            foreach (var device in _scratchDevices)
            {
                Changed(device);
                int skipped = Release(device, now, alerts, released);
                if (skipped > 0)
                {
                    _lateReadings?.Invoke(device.Tenant, skipped);
                    late += skipped;
                }
            }

            _scratchDevices.Clear();
            _heldDueMs = EarliestHeldDue();
        }

        return late;
    }

    private long EarliestHeldDue()
    {
        long due = long.MaxValue;
        foreach (var device in _holding)
        {
            foreach (var held in device.Held)
            {
                due = Math.Min(due, held.ArrivedMs + _latenessMs);
            }
        }

        return due;
    }

    /// <summary>The earliest time <see cref="Tick"/> has something to do, or null.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            long due = Math.Min(_silences.TryPeek(out _, out long deadline) ? deadline : long.MaxValue, EarliestHeldDue());
            return due == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(due);
        }
    }

    /// <summary>Forgets the held batches of a partition this consumer no longer owns (its new owner reads them again from the committed offset).</summary>
    public void DropHeld(string topic, int partition)
    {
        _scratchDevices.Clear();
        _scratchDevices.AddRange(_holding);
        foreach (var device in _scratchDevices)
        {
            for (int i = device.Held.Count - 1; i >= 0; i--)
            {
                var held = device.Held[i];
                if (held.Position.Topic == topic && held.Position.Partition == partition)
                {
                    ArrayPool<byte>.Shared.Return(held.Buffer);
                    device.Held.RemoveAt(i);
                }
            }

            if (device.Held.Count == 0)
            {
                _holding.Remove(device);
            }
        }

        _scratchDevices.Clear();
    }

    private DeviceState Device(string tenant, ReadOnlySpan<byte> deviceIdUtf8)
    {
        if (!_devices.TryGet(tenant, deviceIdUtf8, out var device))
        {
            string deviceId = System.Text.Encoding.UTF8.GetString(deviceIdUtf8);
            device = new DeviceState(tenant, deviceId);
            _devices.TryAdd(tenant, deviceId, device);
        }

        return device;
    }

    /// <summary>
    /// Picks up a reloaded rule set (or the device's first one): the device's rules are filtered by
    /// scope once per rule set, not per batch. With <paramref name="alerts"/>, the alerts of rules
    /// the reload took away from the device are resolved (<see cref="ResolveRemoved"/>).
    /// </summary>
    private void RefreshRules(DeviceState device, long now, List<Alert>? alerts)
    {
        var tenantRules = _rules.For(device.Tenant);
        if (ReferenceEquals(device.Rules?.Source, tenantRules))
        {
            return;
        }

        var previous = device.Rules;
        device.Rules = tenantRules.For(device.Id);
        device.NumberStates(device.Rules);
        if (alerts is not null)
        {
            ResolveRemoved(device, previous, now, alerts);
        }
        else
        {
            _restoredUnchecked.Add(device); // restored: its state is checked against its rules at the next tick
        }

        // Each silent rule of the new set is queued now, also when its state was queued for the
        // rule it replaces (same id): that entry is passed over once its rule is not the device's
        // (CheckSilence), so a duration changed by a reload counts while the device stays quiet.
        for (int i = 0; i < device.Rules.Silent.Length; i++)
        {
            var rule = device.Rules.Silent[i];
            device.Silent(i, rule.Id).Scheduled = true;
            _silences.Enqueue((device, rule), Deadline(device, rule));
        }
    }

    /// <summary>A batch of the device arrived: it is not silent; resolve its silent alerts.</summary>
    private void Arrived(DeviceState device, ulong sequence, long firstReadingMs, long now, List<Alert> alerts)
    {
        device.LastArrivalMs = now;
        var silent = device.Rules!.Silent;
        for (int i = 0; i < silent.Length; i++)
        {
            var rule = silent[i];
            var state = device.Silent(i, rule.Id);
            if (state.Firing)
            {
                state.Firing = false;
                float minutes = (float)((now - state.SilentSinceMs) / 60_000.0);
                var change = new AlertChange(rule.Id, 0, AlertState.Resolved, rule.Severity, state.AlertStartMs, firstReadingMs, now, minutes, (float)rule.After.TotalMinutes,
                    rule.After, RuleKind.Silent);
                alerts.Add(ToAlert(device, sequence, device.LastFix?.Clone(), change));
            }

            if (!state.Scheduled)
            {
                state.Scheduled = true;
                _silences.Enqueue((device, rule), Deadline(device, rule));
            }
        }
    }

    private void CheckSilence(DeviceState device, SilentRule rule, long now, List<Alert> alerts)
    {
        if (!device.Silences.TryGetValue(rule.Id, out var state))
        {
            return; // the rule was taken away by a reload, and its state with it
        }

        RefreshRules(device, now, alerts);
        if (Array.IndexOf(device.Rules!.Silent, rule) < 0)
        {
            return; // queued for a rule since reloaded: its successor, if any, was queued by RefreshRules
        }

        state.Scheduled = false;

        long deadline = Deadline(device, rule);
        if (deadline > now)
        {
            state.Scheduled = true;
            _silences.Enqueue((device, rule), deadline);
            return;
        }

        if (state.Firing)
        {
            return;
        }

        Changed(device);
        state.Firing = true;
        state.SilentSinceMs = device.LastArrivalMs;
        state.AlertStartMs = device.NewestMs != long.MinValue ? device.NewestMs : device.LastArrivalMs;
        float minutes = (float)((now - device.LastArrivalMs) / 60_000.0);
        var change = new AlertChange(rule.Id, 0, AlertState.Firing, rule.Severity, state.AlertStartMs, 0, now, minutes, (float)rule.After.TotalMinutes, rule.After, RuleKind.Silent);
        alerts.Add(ToAlert(device, device.LastSequence, device.LastFix?.Clone(), change));
    }

    private static long Deadline(DeviceState device, SilentRule rule) => device.LastArrivalMs + (long)rule.After.TotalMilliseconds;

    private void Hold(DeviceState device, ReadOnlySpan<byte> payload, long oldest, long newest, ulong sequence, string? sender, RecordPosition position, long now)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer);
        var held = new HeldBatch(buffer, payload.Length, oldest, newest, sequence, sender, position, now);
        int at = device.Held.Count;
        while (at > 0 && Compare(device.Held[at - 1], held) > 0)
        {
            at--;
        }

        device.Held.Insert(at, held);
        _holding.Add(device);
        _heldDueMs = Math.Min(_heldDueMs, now + _latenessMs);
    }

    private static int Compare(HeldBatch a, HeldBatch b) => a.OldestMs != b.OldestMs ? a.OldestMs.CompareTo(b.OldestMs) : a.Sequence.CompareTo(b.Sequence);

    /// <summary>Applies, oldest first, every held batch up to the last one that is due (the watermark passed its newest reading, or it was held for the lateness).</summary>
    private int Release(DeviceState device, long now, List<Alert> alerts, List<RecordPosition>? released)
    {
        long watermark = device.NewestMs - _latenessMs;
        int due = -1;
        for (int i = 0; i < device.Held.Count; i++)
        {
            var held = device.Held[i];
            if (held.NewestMs <= watermark || now - held.ArrivedMs >= _latenessMs)
            {
                due = i;
            }
        }

        int late = 0;
        for (int i = 0; i <= due; i++)
        {
            var held = device.Held[i];
            if (BatchView.TryRead(held.Buffer.AsSpan(0, held.Length), out var batch, out _))
            {
                late += Apply(device, batch, alerts);
            }

            ArrayPool<byte>.Shared.Return(held.Buffer);
            released?.Add(held.Position);
        }

        if (due >= 0)
        {
            device.Held.RemoveRange(0, due + 1);
            if (device.Held.Count == 0)
            {
                _holding.Remove(device);
            }
        }

        return late;
    }

    /// <summary>The batch's oldest and newest reading times over every column; false when it has none.</summary>
    private static bool Span(in BatchView batch, out long oldest, out long newest)
    {
        uint lo = uint.MaxValue, hi = 0;
        foreach (var column in batch.Temperatures)
        {
            Widen(column.OffsetMs, ref lo, ref hi);
        }

        if (batch.HasGps)
        {
            Widen(batch.Gps.OffsetMs, ref lo, ref hi);
        }

        if (batch.HasFuel)
        {
            Widen(batch.Fuel.OffsetMs, ref lo, ref hi);
        }

        foreach (var column in batch.Scalars)
        {
            Widen(column.OffsetMs, ref lo, ref hi);
        }

        oldest = batch.BaseTimeUnixMs + lo;
        newest = batch.BaseTimeUnixMs + hi;
        return lo != uint.MaxValue;
    }

    // Offsets are non-decreasing within a column (the collector refuses others).
    private static void Widen(ReadOnlySpan<uint> offsets, ref uint lo, ref uint hi)
    {
        if (offsets.Length > 0)
        {
            lo = Math.Min(lo, offsets[0]);
            hi = Math.Max(hi, offsets[^1]);
        }
    }

    private static int Readings(in BatchView batch)
    {
        int n = (batch.HasGps ? batch.Gps.OffsetMs.Length : 0) + (batch.HasFuel ? batch.Fuel.OffsetMs.Length : 0);
        foreach (var column in batch.Temperatures)
        {
            n += column.OffsetMs.Length;
        }

        foreach (var column in batch.Scalars)
        {
            n += column.OffsetMs.Length;
        }

        return n;
    }

    private void EnsureScratch(int readings)
    {
        int words = ViolationMask.WordsFor(readings);
        if (_maskA.Length < words)
        {
            _maskA = new ulong[words * 2];
            _maskB = new ulong[words * 2];
            _maskC = new ulong[words * 2];
        }

        if (_rates.Length < readings)
        {
            _rates = new float[readings * 2];
        }
    }

    private sealed record HeldBatch(byte[] Buffer, int Length, long OldestMs, long NewestMs, ulong Sequence, string? Sender, RecordPosition Position, long ArrivedMs);

    private sealed record ThresholdSlot(uint Zone, ThresholdState State, ThresholdSlot? Next);

    private sealed class DeviceState(string tenant, string id)
    {
        public string Tenant { get; } = tenant;

        public string Id { get; } = id;

        public string? Topic;                   // where its batches arrive: the partition whose owner keeps this state
        public int Partition;
        public bool Changed;                    // in the evaluator's changed list, not yet snapshotted
        public bool Forgotten;                  // its partition went to another engine: entries still queued for it are ignored
        public ulong LastSequence;              // of the device's own batches
        public Dictionary<string, ulong>? SenderSequences; // of each partner writing for it, by convoy-sender
        public long NewestMs = long.MinValue;  // newest reading seen (held or applied)
        public long LastArrivalMs;              // engine clock, for silent rules
        public Position? LastFix;
        public DeviceRules? Rules;
        public readonly List<HeldBatch> Held = [];
        public readonly Dictionary<(string Rule, uint Zone), ThresholdState> Thresholds = [];
        public readonly Dictionary<string, FuelTheftState> FuelThefts = [];
        public readonly Dictionary<string, SilentState> Silences = [];

        /// <summary>The highest sequence of <paramref name="sender"/>'s batches passed (null or empty: the device's own).</summary>
        public ulong LastSequenceOf(string? sender) =>
            string.IsNullOrEmpty(sender) ? LastSequence : SenderSequences?.GetValueOrDefault(sender) ?? 0;

        public void Passed(string? sender, ulong sequence)
        {
            if (string.IsNullOrEmpty(sender))
            {
                LastSequence = sequence;
            }
            else
            {
                (SenderSequences ??= new Dictionary<string, ulong>(StringComparer.Ordinal))[sender] = sequence;
            }
        }

        // The states of the current rules by the rules' numbers: per batch an array index, where
        // the dictionaries above (which snapshots and reloads work on) would hash a rule id.
        private ThresholdSlot?[] _thresholdSlots = [];
        private SilentState?[] _silentSlots = [];
        private FuelTheftState?[] _theftSlots = [];

        /// <summary>The device's rules changed: their states are found by the new rules' numbers from now on.</summary>
        public void NumberStates(DeviceRules rules)
        {
            _thresholdSlots = rules.ThresholdSlots == 0 ? [] : new ThresholdSlot?[rules.ThresholdSlots];
            _silentSlots = rules.Silent.Length == 0 ? [] : new SilentState?[rules.Silent.Length];
            _theftSlots = rules.FuelTheft.Length == 0 ? [] : new FuelTheftState?[rules.FuelTheft.Length];
        }

        /// <summary>The state of the silent rule <paramref name="slot"/> of <see cref="DeviceRules.Silent"/> (its id <paramref name="rule"/>).</summary>
        public SilentState Silent(int slot, string rule) => _silentSlots[slot] ??= Silent(rule);

        /// <summary>The state of the fuel-theft rule <paramref name="slot"/> of <see cref="DeviceRules.FuelTheft"/> (its id <paramref name="rule"/>).</summary>
        public FuelTheftState FuelTheft(int slot, string rule)
        {
            if (_theftSlots[slot] is { } known)
            {
                return known;
            }

            if (!FuelThefts.TryGetValue(rule, out var state))
            {
                state = new FuelTheftState();
                FuelThefts.Add(rule, state);
            }

            return _theftSlots[slot] = state;
        }

        /// <summary>
        /// The state of the rule numbered <paramref name="slot"/> (its id <paramref name="rule"/>) for
        /// <paramref name="zone"/>: per batch an array index and a zone compare; the dictionary, which
        /// snapshots and rule reloads work on, only the first time.
        /// </summary>
        public ThresholdState Threshold(int slot, string rule, uint zone)
        {
            for (var known = _thresholdSlots[slot]; known is not null; known = known.Next)
            {
                if (known.Zone == zone)
                {
                    return known.State;
                }
            }

            var state = Threshold(rule, zone);
            _thresholdSlots[slot] = new ThresholdSlot(zone, state, _thresholdSlots[slot]);
            return state;
        }

        private ThresholdState Threshold(string rule, uint zone)
        {
            if (!Thresholds.TryGetValue((rule, zone), out var state))
            {
                state = new ThresholdState();
                Thresholds.Add((rule, zone), state);
            }

            return state;
        }

        private SilentState Silent(string rule)
        {
            if (!Silences.TryGetValue(rule, out var state))
            {
                state = new SilentState();
                Silences.Add(rule, state);
            }

            return state;
        }
    }
}
