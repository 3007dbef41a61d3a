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

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        bool valid = value switch
        {
            null => true,
            TimeSpan duration when _isDuration => duration >= _minimumDuration && duration <= _maximumDuration,
            IConvertible number when !_isDuration && number is not string => InRange(number.ToDouble(CultureInfo.InvariantCulture)),
            _ => false,
        };
        return valid ? ValidationResult.Success : new ValidationResult(string.Create(CultureInfo.InvariantCulture, $"Configuration '{Key}' {Reason}, was {value}."));
    }

    private bool InRange(double number) => double.IsFinite(number) && number >= _minimum && number <= _maximum;
}
