using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.Tokens;

/// <summary>
/// Who may sign the bearer tokens a program accepts, bound from that program's own section
/// (<c>Collector:Partners</c>, <c>FleetHistory:Tokens</c>) and checked by a
/// <see cref="TokenOptionsValidator"/> given that section. With neither <see cref="KeyFiles"/> nor
/// <see cref="JwksFile"/> set, every token is refused.
/// </summary>
public sealed class TokenOptions : IValidatableObject
{
    /// <summary>The <c>iss</c> every token must carry. Required when keys are configured.</summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// The <c>aud</c> every token must carry (one of its audiences). Required when keys are
    /// configured; each program sets its own default (the collector's is <c>convoy-collector</c>).
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// PEM public keys (SubjectPublicKeyInfo "PUBLIC KEY", or "RSA PUBLIC KEY"): RSA (RS256, at
    /// least 2048 bits) or ECDSA P-256 (ES256). A key's id (<c>kid</c>) is its file name without
    /// the extension. Followed on disk.
    /// </summary>
    public List<string> KeyFiles { get; } = [];

    /// <summary>A JSON Web Key Set file (RFC 7517) of RSA and EC P-256 signing keys, by <c>kid</c>. Followed on disk.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Tolerated difference between the issuer's clock and ours for <c>exp</c> and <c>nbf</c>, 0..300 s.</summary>
    [SettingRange("ClockSkewSeconds", 0, 300, InSection = true)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>True when tokens can be verified at all.</summary>
    public bool Enabled => KeyFiles.Count > 0 || JwksFile is not null;

    /// <summary>
    /// The rules that span settings or touch the disk (the range is an attribute); run by the
    /// generated checks with it, under the section <see cref="TokenOptionsValidator"/> gives them.
    /// </summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        string section = SettingRangeAttribute.SectionOf(validationContext);
        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(Issuer))
            {
                yield return Invalid(section, "Issuer", $"is set but no {section}:KeyFiles or {section}:JwksFile is: give the issuer's public keys");
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            yield return Invalid(section, "Issuer", "is not set: tokens are checked against one issuer (the 'iss' claim)");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return Invalid(section, "Audience", "must not be empty: tokens are checked against it (the 'aud' claim)");
        }

        for (int i = 0; i < KeyFiles.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(KeyFiles[i]) || !File.Exists(KeyFiles[i]))
            {
                yield return Invalid(section, $"KeyFiles:{i}", $"names '{KeyFiles[i]}', which does not exist");
            }
        }

        if (JwksFile is not null && !File.Exists(JwksFile))
        {
            yield return Invalid(section, "JwksFile", $"names '{JwksFile}', which does not exist");
        }
    }

    private static ValidationResult Invalid(string section, string key, string reason) => new($"Configuration '{section}:{key}' {reason}.");
}

/// <summary>
/// Checks <see cref="TokenOptions"/> bound from one program's section, naming that section's keys
/// in every message (<c>Configuration 'Collector:Partners:Issuer' is not set...</c>). One options
/// type serves several sections, so the keys cannot be constants in its attributes: the section is
/// given here, and handed to the generated checks as the options' name, where the range attribute
/// and <see cref="TokenOptions"/>' own rules read it back (<see cref="SettingRangeAttribute.SectionOf"/>).
/// </summary>
public sealed class TokenOptionsValidator : IValidateOptions<TokenOptions>
{
    private readonly TokenOptionsChecks _checks = new();
    private readonly string _section;

    /// <param name="section">The configuration section the options were bound from, e.g. <c>Collector:Partners</c>.</param>
    public TokenOptionsValidator(string section)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        _section = section;
    }

    /// <summary>
    /// Checks <paramref name="options"/> as bound from this validator's section, whatever their
    /// name: register one validator per program, for the one section it binds.
    /// </summary>
    public ValidateOptionsResult Validate(string? name, TokenOptions options) => _checks.Validate(_section, options);
}

/// <summary>The attribute and <see cref="IValidatableObject"/> checks of <see cref="TokenOptions"/>, generated (no reflection).</summary>
[OptionsValidator]
internal sealed partial class TokenOptionsChecks : IValidateOptions<TokenOptions>;
