namespace Convoy.Collector.Authentication;

/// <summary>
/// Configuration section <c>Collector:Partners</c>: who may sign partner tokens. Partners (other
/// companies' systems) authenticate with a JWT bearer token instead of a device certificate.
/// With neither <see cref="KeyFiles"/> nor <see cref="JwksFile"/> set, partner tokens are refused.
/// </summary>
public sealed class PartnerOptions
{
    /// <summary>The <c>iss</c> every partner token must carry. Required when keys are configured.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> every partner token must carry (one of its audiences).</summary>
    public string Audience { get; set; } = "convoy-collector";

    /// <summary>
    /// PEM public keys (SubjectPublicKeyInfo "PUBLIC KEY", or "RSA PUBLIC KEY"): RSA (RS256, at
    /// least 2048 bits) or ECDSA P-256 (ES256). A key's id (<c>kid</c>) is its file name without
    /// the extension. Followed on disk.
    /// </summary>
    public List<string> KeyFiles { get; } = [];

    /// <summary>A JSON Web Key Set file (RFC 7517) of RSA and EC P-256 signing keys, by <c>kid</c>. Followed on disk.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Tolerated difference between the issuer's clock and ours for <c>exp</c> and <c>nbf</c>, 0..300 s.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>True when partner tokens can be verified at all.</summary>
    public bool Enabled => KeyFiles.Count > 0 || JwksFile is not null;

    /// <summary>Throws naming the bad key and why.</summary>
    public void Validate()
    {
        if (ClockSkewSeconds is < 0 or > 300)
        {
            throw Invalid("ClockSkewSeconds", $"must be 0..300, was {ClockSkewSeconds}");
        }

        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(Issuer))
            {
                throw Invalid("Issuer", "is set but no Collector:Partners:KeyFiles or Collector:Partners:JwksFile is: give the issuer's public keys");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            throw Invalid("Issuer", "is not set: partner tokens are checked against one issuer (the 'iss' claim)");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            throw Invalid("Audience", "must not be empty: partner tokens are checked against it (the 'aud' claim)");
        }

        for (int i = 0; i < KeyFiles.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(KeyFiles[i]) || !File.Exists(KeyFiles[i]))
            {
                throw Invalid($"KeyFiles:{i}", $"names '{KeyFiles[i]}', which does not exist");
            }
        }

        if (JwksFile is not null && !File.Exists(JwksFile))
        {
            throw Invalid("JwksFile", $"names '{JwksFile}', which does not exist");
        }
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string key, string reason) =>
        new($"Collector:Partners:{key}", typeof(PartnerOptions), [$"Configuration 'Collector:Partners:{key}' {reason}."]);
}
