using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Rules;

/// <summary>The checks every rule's options share, so every rule words its errors the same way.</summary>
internal static class RuleOptionChecks
{
    public static void Id(string key, string id, Type options)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw Invalid($"{key}:Id", $"must be 1..64 characters of [A-Za-z0-9._-], was '{id}'", options);
        }
    }

    public static void Durations(string key, TimeSpan @for, TimeSpan clearFor, Type options)
    {
        if (@for < TimeSpan.Zero)
        {
            throw Invalid($"{key}:For", $"must not be negative, was {@for}", options);
        }

        if (clearFor < TimeSpan.Zero)
        {
            throw Invalid($"{key}:ClearFor", $"must not be negative, was {clearFor}", options);
        }
    }

    public static void Severity(string key, Contracts.Alerts.V1.Severity severity, Type options)
    {
        if (severity == Contracts.Alerts.V1.Severity.Unspecified)
        {
            throw Invalid($"{key}:Severity", "must be Info, Warning or Critical", options);
        }
    }

    public static OptionsValidationException Invalid(string key, string reason, Type options) =>
        new(key, options, [$"Configuration '{key}' {reason}."]);
}
