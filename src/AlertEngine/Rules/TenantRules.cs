namespace Convoy.AlertEngine.Rules;

/// <summary>
/// One tenant's compiled rules, immutable: from its rule file, or the engine's options-configured
/// default rules for a tenant without a file. A reload builds a new instance and swaps it in.
/// </summary>
internal sealed class TenantRules
{
    private readonly (object Rule, RuleScope Scope)[] _rules;
    private readonly IReadOnlyDictionary<string, string[]> _deviceTags;

    public TenantRules(string source, IReadOnlyList<(object Rule, RuleScope Scope)> rules, IReadOnlyDictionary<string, string[]>? deviceTags = null)
    {
        Source = source;
        _rules = [.. rules];
        _deviceTags = deviceTags ?? new Dictionary<string, string[]>();
        foreach (var (rule, _) in _rules)
        {
            if (rule is not (TemperatureRule or SpeedRule or FuelTheftRule or GeofenceRule or LevelRule or RateRule or SilentRule))
            {
                throw new ArgumentException($"Not a rule: {rule.GetType().Name}", nameof(rules));
            }
        }
    }

    /// <summary>Where the rules came from: the file's path, or "options".</summary>
    public string Source { get; }

    public int Count => _rules.Length;

    /// <summary>Every rule, in the file's (or the options') order, with the devices it applies to.</summary>
    public IEnumerable<(IAlertRule Rule, RuleScope Scope)> Rules => _rules.Select(static r => ((IAlertRule)r.Rule, r.Scope));

    /// <summary>The rule file's <c>devices:</c> map: device id → its tags; empty for the options' rules.</summary>
    public IReadOnlyDictionary<string, string[]> DeviceTags => _deviceTags;

    /// <summary>The engine's options-configured rules, applied to every device of every tenant without a rule file.</summary>
    public static TenantRules FromOptions(AlertEngineOptions options)
    {
        var rules = new List<(object, RuleScope)>();
        rules.AddRange(options.TemperatureRules.Select(o => ((object)new TemperatureRule(o), RuleScope.Everyone)));
        rules.AddRange(options.SpeedRules.Select(o => ((object)new SpeedRule(o), RuleScope.Everyone)));
        rules.AddRange(options.FuelTheftRules.Select(o => ((object)new FuelTheftRule(o), RuleScope.Everyone)));
        rules.AddRange(options.GeofenceRules.Select(o => ((object)new GeofenceRule(o), RuleScope.Everyone)));
        return new TenantRules("options", rules);
    }

    /// <summary>The rules that apply to one device. Built once per device and rule set (not per batch).</summary>
    public DeviceRules For(string device)
    {
        IReadOnlyList<string> tags = _deviceTags.TryGetValue(device, out var t) ? t : [];
        var applicable = new List<object>();
        foreach (var (rule, scope) in _rules)
        {
            if (scope.Applies(device, tags))
            {
                applicable.Add(rule);
            }
        }

        return new DeviceRules(this, applicable);
    }
}

/// <summary>The rules of a <see cref="TenantRules"/> that apply to one device, by kind, as arrays the evaluator loops over.</summary>
internal sealed class DeviceRules
{
    public DeviceRules(TenantRules source, List<object> rules)
    {
        Source = source;
        All = [.. rules.Cast<IAlertRule>()];
        Temperature = [.. rules.OfType<TemperatureRule>()];
        Speed = [.. rules.OfType<SpeedRule>()];
        FuelTheft = [.. rules.OfType<FuelTheftRule>()];
        Geofence = [.. rules.OfType<GeofenceRule>()];
        Level = [.. rules.OfType<LevelRule>()];
        Rate = [.. rules.OfType<RateRule>()];
        Silent = [.. rules.OfType<SilentRule>()];
        SpeedSlots = Temperature.Length;
        GeofenceSlots = SpeedSlots + Speed.Length;
        LevelSlots = GeofenceSlots + Geofence.Length;
        RateSlots = LevelSlots + Level.Length;
        ThresholdSlots = RateSlots + Rate.Length;
    }

    // The rules that keep a threshold state per zone, numbered 0 .. ThresholdSlots - 1 in this
    // order (temperature, speed, geofence, level, rate), so the evaluator finds a rule's state by
    // its number rather than by hashing its id per batch.

    /// <summary>How many rules keep a <see cref="ThresholdState"/>; the temperature rules are numbered from 0.</summary>
    public int ThresholdSlots { get; }

    /// <summary>The number of <see cref="Speed"/>[0]; the speed rule i is SpeedSlots + i.</summary>
    public int SpeedSlots { get; }

    /// <summary>The number of <see cref="Geofence"/>[0].</summary>
    public int GeofenceSlots { get; }

    /// <summary>The number of <see cref="Level"/>[0].</summary>
    public int LevelSlots { get; }

    /// <summary>The number of <see cref="Rate"/>[0].</summary>
    public int RateSlots { get; }

    public TenantRules Source { get; }

    /// <summary>Every rule that applies to the device, whatever its kind.</summary>
    public IAlertRule[] All { get; }

    /// <summary>The rule of this id that applies to the device, or null (ids are unique within a tenant's rules).</summary>
    public IAlertRule? Find(string ruleId)
    {
        foreach (var rule in All)
        {
            if (string.Equals(rule.Id, ruleId, StringComparison.Ordinal))
            {
                return rule;
            }
        }

        return null;
    }

    public bool Has(string ruleId) => Find(ruleId) is not null;

    /// <summary>
    /// Whether the rule of this id keeps a threshold state for <paramref name="zone"/>: false when
    /// it is gone, is now of a kind without one, or watches other zones (a reload moved it).
    /// </summary>
    public bool KeepsThreshold(string ruleId, uint zone) => Find(ruleId) switch
    {
        TemperatureRule temperature => temperature.Watches(zone),
        LevelRule level => level.Watches(zone),
        RateRule rate => rate.Watches(zone),
        SpeedRule or GeofenceRule => zone == 0,
        _ => false,
    };

    public TemperatureRule[] Temperature { get; }

    public SpeedRule[] Speed { get; }

    public FuelTheftRule[] FuelTheft { get; }

    public GeofenceRule[] Geofence { get; }

    public LevelRule[] Level { get; }

    public RateRule[] Rate { get; }

    public SilentRule[] Silent { get; }
}
