using Convoy.AlertEngine.Rules;
using Convoy.Kafka;

namespace Convoy.AlertEngine;

/// <summary>Configuration section <c>AlertEngine</c>.</summary>
public sealed class AlertEngineOptions
{
    public const string SectionName = "AlertEngine";

    /// <summary>Kafka consumer group; every engine instance of one deployment shares it.</summary>
    public string GroupId { get; set; } = "convoy-alert-engine";

    /// <summary>
    /// Topics to evaluate, as a librdkafka regular expression (starts with ^): every tenant's
    /// <c>telemetry.&lt;tenant&gt;</c>, and the shared <c>telemetry</c> topic of the collector's shared mode.
    /// </summary>
    public string TopicPattern { get; set; } = @"^telemetry(\..+)?$";

    /// <summary>Temperature rules, applied to every tenant.</summary>
    public List<TemperatureRuleOptions> TemperatureRules { get; } = [];

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            throw Invalid("AlertEngine:GroupId", "must not be empty");
        }

        if (!TopicPattern.StartsWith('^'))
        {
            throw Invalid("AlertEngine:TopicPattern", $"must be a regular expression starting with ^, was '{TopicPattern}'");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < TemperatureRules.Count; i++)
        {
            TemperatureRules[i].Validate($"AlertEngine:TemperatureRules:{i}");
            if (!ids.Add(TemperatureRules[i].Id))
            {
                throw Invalid($"AlertEngine:TemperatureRules:{i}:Id", $"'{TemperatureRules[i].Id}' is used by another rule");
            }
        }
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new(key, typeof(AlertEngineOptions), [$"Configuration '{key}' {reason}."]);
}
