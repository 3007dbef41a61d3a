using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent;

/// <summary>Runs a generated options validator where a value is needed before the host exists.</summary>
internal static class ValidatedOptions
{
    /// <summary>The options, or the validator's <see cref="OptionsValidationException"/> naming every bad key.</summary>
    public static TOptions Check<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        var result = validator.Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures) : options;
    }
}
