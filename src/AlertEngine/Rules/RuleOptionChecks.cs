using System.ComponentModel.DataAnnotations;

namespace Convoy.AlertEngine.Rules;

/// <summary>The checks every rule's options share, so every rule words its errors the same way.</summary>
internal static class RuleOptionChecks
{
    public static void Id(List<ValidationResult> failures, string key, string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            failures.Add(Invalid($"{key}:Id", $"must be 1..64 characters of [A-Za-z0-9._-], was '{id}'"));
        }
    }

    public static void Durations(List<ValidationResult> failures, string key, TimeSpan @for, TimeSpan clearFor)
    {
        if (@for < TimeSpan.Zero)
        {
            failures.Add(Invalid($"{key}:For", $"must not be negative, was {@for}"));
        }

        if (clearFor < TimeSpan.Zero)
        {
            failures.Add(Invalid($"{key}:ClearFor", $"must not be negative, was {clearFor}"));
        }
    }

    public static void Severity(List<ValidationResult> failures, string key, Contracts.Alerts.V1.Severity severity)
    {
        if (severity == Contracts.Alerts.V1.Severity.Unspecified)
        {
            failures.Add(Invalid($"{key}:Severity", "must be Info, Warning or Critical"));
        }
    }

    public static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");
}
