using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Convoy.OptionsValidation;

/// <summary>
/// A setting's allowed range, inclusive, checked by the generated options validators
/// (<c>[OptionsValidator]</c>): numbers as <c>(key, min, max)</c>, durations as
/// <c>(key, "hh:mm:ss", "hh:mm:ss")</c>; a number must also be finite. Its message names the
/// setting's configuration key and the value it had, e.g.
/// <c>Configuration 'Kafka:EmbeddedBrokers' must be 1..9, was 12.</c>
/// </summary>
/// <remarks>
/// Not <see cref="RangeAttribute"/>: the options source generator replaces it by a copy that
/// ignores <see cref="ValidationAttribute.ErrorMessage"/> (dotnet/runtime#123137), so its message
/// could only name the C# property (<c>The field KafkaOptions.EmbeddedBrokers must be between 1 and 9.</c>),
/// not the key an operator sets. Reflection-free, so the NativeAOT agent can use it.
/// Compiled into each project that has options (a linked file), internal to each.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class SettingRangeAttribute : ValidationAttribute
{
    private readonly double _minimum;
    private readonly double _maximum;
    private readonly TimeSpan _minimumDuration;
    private readonly TimeSpan _maximumDuration;
    private readonly bool _isDuration;

    public SettingRangeAttribute(string key, double minimum, double maximum)
    {
        Key = key;
        _minimum = minimum;
        _maximum = maximum;
        Reason = string.Create(CultureInfo.InvariantCulture, $"must be {minimum}..{maximum}");
    }

    public SettingRangeAttribute(string key, string minimum, string maximum)
    {
        Key = key;
        _minimumDuration = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        _maximumDuration = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
        _isDuration = true;
        Reason = $"must be {minimum}..{maximum}";
    }

    /// <summary>The setting's configuration key, e.g. <c>Kafka:EmbeddedBrokers</c>.</summary>
    public string Key { get; }

    /// <summary>What the message says the setting must be; "must be MIN..MAX" unless set.</summary>
    public string Reason { get; set; }

    /// <summary>
    /// True when <see cref="Key"/> is relative to the section the options were bound from, for an
    /// options type that each program binds from a section of its own (Convoy.Tokens' TokenOptions:
    /// <c>Collector:Partners</c> in the collector). Its validator must be given that section as the
    /// options' name; see <see cref="SectionOf"/>.
    /// </summary>
    public bool InSection { get; set; }

    /// <summary>
    /// The section a generated validator was given as the options' name: the generated code hands
    /// the name on in the context's display name, as <c>{name}.{member}</c> (the name attributes'
    /// own messages show), and this takes the member back off.
    /// </summary>
    public static string SectionOf(ValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string name = context.DisplayName;
        return context.MemberName is { Length: > 0 } member && name.Length > member.Length
            && name.EndsWith(member, StringComparison.Ordinal) && name[^(member.Length + 1)] == '.'
                ? name[..^(member.Length + 1)]
                : name;
    }

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        bool valid = value switch
        {
            null => true,
            TimeSpan duration when _isDuration => duration >= _minimumDuration && duration <= _maximumDuration,
            IConvertible number when !_isDuration && number is not string => InRange(number.ToDouble(CultureInfo.InvariantCulture)),
            _ => false,
        };
        if (valid)
        {
            return ValidationResult.Success;
        }

        string key = InSection ? SectionOf(validationContext) + ":" + Key : Key;
        return new ValidationResult(string.Create(CultureInfo.InvariantCulture, $"Configuration '{key}' {Reason}, was {value}."));
    }

    private bool InRange(double number) => double.IsFinite(number) && number >= _minimum && number <= _maximum;
}
