using Convoy.AlertEngine.Rules;
using Convoy.Contracts.Fleet.V1;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// Each tenant's rules and device tags as the alert engine runs them: the engine's own
/// <see cref="RuleCatalog"/>, filled by the engine's rule-folder follower
/// (src/AlertEngine/Rules/Files/RuleFolder.cs) from <c>FleetHistory:RulesFolder</c>, and starting
/// from the defaults of the <c>AlertEngine</c> section. Nothing here reads a rule file.
/// </summary>
internal sealed class FleetRules
{
    public const string FromFile = "file";
    public const string FromDefaults = "defaults";

    private readonly RuleCatalog _catalog;

    public FleetRules(RuleCatalog catalog) => _catalog = catalog;

    /// <summary>The tenant's rules, where they come from, the errors of its file as it is on disk now, and its devices' tags.</summary>
    public GetRulesResponse Rules(string tenant)
    {
        bool fromFile = _catalog.Tenants.TryGetValue(tenant, out var rules);
        rules ??= _catalog.Defaults;
        var response = new GetRulesResponse { Source = fromFile ? FromFile : FromDefaults };
        foreach (var (rule, scope) in rules.Rules)
        {
            response.Rules.Add(View(rule, scope));
        }

        response.Errors.AddRange(_catalog.Errors(tenant));
        foreach (var (device, tags) in rules.DeviceTags.OrderBy(static d => d.Key, StringComparer.Ordinal))
        {
            response.Devices.Add(new DeviceTags { DeviceId = device, Tags = { tags } });
        }

        return response;
    }

    /// <summary>The device's tags in the tenant's rules now in force; none for a device the file does not list.</summary>
    public IReadOnlyList<string> TagsOf(string tenant, string device) =>
        _catalog.For(tenant).DeviceTags.TryGetValue(device, out var tags) ? tags : [];

    /// <summary>The devices of the tenant that carry every one of <paramref name="tags"/> (ordinal).</summary>
    public HashSet<string> Carrying(string tenant, IReadOnlyCollection<string> tags)
    {
        var devices = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (device, carried) in _catalog.For(tenant).DeviceTags)
        {
            if (tags.All(tag => Array.IndexOf(carried, tag) >= 0))
            {
                devices.Add(device);
            }
        }

        return devices;
    }

    /// <summary>Gives each device its tags, from the tenant's rules now in force.</summary>
    public void Tag(string tenant, IEnumerable<DeviceState> devices)
    {
        var tags = _catalog.For(tenant).DeviceTags;
        foreach (var device in devices)
        {
            device.Tags.Clear();
            if (tags.TryGetValue(device.DeviceId, out var carried))
            {
                device.Tags.AddRange(carried);
            }
        }
    }

    private static RuleView View(IAlertRule rule, RuleScope scope)
    {
        var description = rule.Description;
        var view = new RuleView
        {
            Id = rule.Id,
            Kind = description.Kind,
            Severity = rule.Severity,
            Description = description.Sentence,
            Signal = description.Signal,
            Zone = description.Zone,
            Devices = { scope.Devices },
            Tags = { scope.Tags },
        };
        if (description.Above is { } above)
        {
            view.Above = above;
        }

        if (description.Below is { } below)
        {
            view.Below = below;
        }

        if (description.Fence is { } fence)
        {
            view.Geofence = new Geofence
            {
                AlertInside = fence.AlertInside,
                CentreLatitudeDeg = fence.Polygon.Count > 0 ? 0 : fence.CentreLatitudeDeg,
                CentreLongitudeDeg = fence.Polygon.Count > 0 ? 0 : fence.CentreLongitudeDeg,
                RadiusM = fence.Polygon.Count > 0 ? 0 : fence.RadiusM,
                Polygon = { fence.Polygon.Select(static v => new GeoVertex { LatitudeDeg = v.LatitudeDeg, LongitudeDeg = v.LongitudeDeg }) },
            };
        }

        return view;
    }
}
