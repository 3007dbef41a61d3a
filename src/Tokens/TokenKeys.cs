using System.Security.Cryptography;
using Convoy.Files;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.Tokens;

/// <summary>
/// The public keys bearer tokens may be signed with, from PEM files and/or a JWKS file, followed
/// on disk as the collector follows its certificates (docs/style.md, 9; the shared
/// <see cref="FileFollower{T}"/>): when a file changes the keys are read again (checked at most once
/// a second, on the next token), so an issuer's key rotates without a restart. A file that cannot be
/// read leaves the previous keys in use, logged once, and is read again when it changes again. Only RSA (≥ 2048 bits, for RS256) and ECDSA P-256 (for ES256) public keys are kept:
/// a symmetric key is never loaded, so no token can be verified with HMAC.
/// </summary>
public sealed class TokenKeys
{
    private readonly string[] _keyFiles;
    private readonly string? _jwksFile;
    private readonly FileFollower<KeySet> _files;

    /// <summary>
    /// The keys <paramref name="options"/> name, or null when it names none (every token is then
    /// refused). A file that cannot be loaded stops the start-up with an
    /// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the setting in
    /// <paramref name="section"/> (e.g. <c>Collector:Partners:JwksFile</c>) and why.
    /// </summary>
    public static TokenKeys? Load(TokenOptions options, string section, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return null;
        }

        try
        {
            return new TokenKeys(options.KeyFiles, options.JwksFile, time, logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException or FormatException)
        {
            string key = options.JwksFile is not null && e.Message.Contains(options.JwksFile, StringComparison.Ordinal) ? "JwksFile" : "KeyFiles";
            throw new Microsoft.Extensions.Options.OptionsValidationException($"{section}:{key}", typeof(TokenOptions),
                [$"Configuration '{section}:{key}' could not be loaded: {e.Message}"]);
        }
    }

    /// <summary>
    /// Loads the files now, so a bad one stops the start-up rather than the first token: throws
    /// (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>,
    /// <see cref="ArgumentException"/>, <see cref="CryptographicException"/>, <see cref="FormatException"/>)
    /// naming the file where it can.
    /// </summary>
    /// <param name="keyFiles">PEM public keys; a key's kid is its file name without the extension.</param>
    /// <param name="jwksFile">A JSON Web Key Set file, or null.</param>
    /// <param name="time">The clock that paces the checks for changed files.</param>
    /// <param name="logger">Where reloads, and reloads that failed, are logged (<see cref="TokensLog"/>).</param>
    public TokenKeys(IEnumerable<string> keyFiles, string? jwksFile, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(keyFiles);
        _keyFiles = [.. keyFiles];
        _jwksFile = jwksFile;
        _files = new FileFollower<KeySet>(jwksFile is null ? _keyFiles : [.. _keyFiles, jwksFile], Load,
            static (log, keys) => TokensLog.KeysReloaded(log, keys.All.Count), TokensLog.KeysReloadFailed, time, logger);
    }

    /// <summary>The keys in use now.</summary>
    internal KeySet Current => _files.Current;

    /// <summary>Re-reads changed files (at most once a second).</summary>
    internal void Refresh() => _files.Refresh();

    private KeySet Load()
    {
        var keys = new List<SecurityKey>();
        foreach (string path in _keyFiles)
        {
            keys.Add(LoadPem(path));
        }

        if (_jwksFile is not null)
        {
            keys.AddRange(LoadJwks(_jwksFile));
        }

        return new KeySet(keys);
    }

    /// <summary>One PEM public key; its kid is the file name without the extension.</summary>
    internal static SecurityKey LoadPem(string path)
    {
        string pem = File.ReadAllText(path);
        string kid = Path.GetFileNameWithoutExtension(path);
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new ArgumentException($"{path} holds no PEM block");
        }

        string label = pem[fields.Label];
        if (label is not ("PUBLIC KEY" or "RSA PUBLIC KEY"))
        {
            throw new ArgumentException($"{path} holds a '{label}', not a public key ('PUBLIC KEY'): give the issuer's public key only");
        }

        // Try RSA, then EC: ImportFromPem refuses a key of the other kind.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048)
            {
                throw new ArgumentException($"{path}: RSA key of {rsa.KeySize} bits; at least 2048 are required");
            }

            return new RsaSecurityKey(rsa) { KeyId = kid };
        }
        catch (CryptographicException) when (label == "PUBLIC KEY")
        {
            rsa.Dispose();
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            ec.Dispose();
            throw new ArgumentException($"{path} is neither an RSA nor an EC public key: {e.Message}", e);
        }

        if (ec.KeySize != 256)
        {
            ec.Dispose();
            throw new ArgumentException($"{path}: EC key on a {ec.KeySize}-bit curve; ES256 needs P-256");
        }

        return new ECDsaSecurityKey(ec) { KeyId = kid };
    }

    /// <summary>The RSA and EC P-256 signing keys of a JWKS file; symmetric and encryption keys are left out.</summary>
    internal static List<SecurityKey> LoadJwks(string path)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            // The library's message hides the text and names no file: say which file it was.
            throw new ArgumentException($"{path} is not a JSON Web Key Set: {e.Message}", e);
        }

        var keys = new List<SecurityKey>();
        foreach (var key in set.Keys)
        {
            bool signing = string.IsNullOrEmpty(key.Use) || key.Use == JsonWebKeyUseNames.Sig;
            bool rsa = key.Kty == JsonWebAlgorithmsKeyTypes.RSA && (string.IsNullOrEmpty(key.Alg) || key.Alg == SecurityAlgorithms.RsaSha256);
            bool ec = key.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve && key.Crv == JsonWebKeyECTypes.P256
                && (string.IsNullOrEmpty(key.Alg) || key.Alg == SecurityAlgorithms.EcdsaSha256);
            if (signing && (rsa || ec))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <summary>One immutable generation of keys, with an index by kid.</summary>
    internal sealed class KeySet
    {
        private readonly Dictionary<string, List<SecurityKey>> _byKid = new(StringComparer.Ordinal);

        public KeySet(List<SecurityKey> keys)
        {
            All = keys;
            foreach (var key in keys)
            {
                if (!string.IsNullOrEmpty(key.KeyId))
                {
                    if (!_byKid.TryGetValue(key.KeyId, out var list))
                    {
                        _byKid[key.KeyId] = list = [];
                    }

                    list.Add(key);
                }
            }
        }

        public IReadOnlyList<SecurityKey> All { get; }

        /// <summary>The keys a token may be verified with: those with its kid, or all when it names none.</summary>
        public IEnumerable<SecurityKey> For(string? kid) =>
            string.IsNullOrEmpty(kid) ? All : _byKid.TryGetValue(kid, out var keys) ? keys : [];

        public bool Knows(string kid) => _byKid.ContainsKey(kid);
    }
}
