using System.Text.Json;
using Convoy.Files;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.Tenancy;

/// <summary>
/// The tenant registry file, followed on disk (through the shared file follower: looked at once a
/// second, read again when it changed). A changed file that does not validate is ignored and the
/// last good registry stays in use; both outcomes are logged (<c>TenantRegistryReloaded</c>,
/// <c>TenantRegistryRejected</c>), the same events in every program.
/// </summary>
public sealed class TenantRegistryFile
{
    private readonly FileFollower<TenantRegistryOptions> _file;

    /// <summary>Reads the file now: one that cannot be read or does not validate throws <see cref="OptionsValidationException"/> naming <paramref name="setting"/>, the file and each bad key.</summary>
    /// <param name="setting">the setting that named the file (<c>Collector:TenantsFile</c>), for the start-up's message.</param>
    /// <param name="path">the registry's JSON file.</param>
    /// <param name="time">the clock that paces the checks.</param>
    /// <param name="logger">where the registry's events are written.</param>
    /// <param name="reloaded">told the registry read from a changed file, once it is in use.</param>
    public TenantRegistryFile(string setting, string path, TimeProvider time, ILogger logger, Action<TenantRegistryOptions>? reloaded = null)
    {
        path = Path.GetFullPath(path);
        try
        {
            _file = new FileFollower<TenantRegistryOptions>([path], () => Read(path),
                (log, registry) =>
                {
                    TenancyLog.TenantRegistryReloaded(log, registry.Tenants.Count);
                    reloaded?.Invoke(registry);
                },
                TenancyLog.TenantRegistryRejected, time, logger);
        }
        catch (InvalidDataException e)
        {
            throw new OptionsValidationException(setting, typeof(TenantRegistryOptions), [$"Configuration '{setting}' names '{path}', which {e.Message.TrimEnd('.')}."]);
        }
    }

    /// <summary>The registry in use now (read again first when the file changed).</summary>
    public TenantRegistryOptions Current => _file.Current;

    /// <summary>
    /// The registry the file holds, checked (<see cref="TenantRegistryOptionsValidator"/>): throws
    /// <see cref="OptionsValidationException"/> naming each bad key, or <see cref="InvalidDataException"/>
    /// when the file is no registry at all (not JSON, a value of the wrong type).
    /// </summary>
    public static TenantRegistryOptions Read(string path)
    {
        var registry = new TenantRegistryOptions();
        try
        {
            // Its own configuration root, read once per change: the file's keys must not mix with the program's.
            using var json = new MemoryStream(File.ReadAllBytes(path));
            var file = new ConfigurationBuilder().AddJsonStream(json).Build();
            file.Bind(registry);
            foreach (var tenant in file.GetSection("Tenants").GetChildren())
            {
                if (!registry.Tenants.ContainsKey(tenant.Key))
                {
                    // The binder leaves out, without a word, a dictionary entry with a value it cannot
                    // convert ("Enabled": "nope"): a tenant meant to be disabled would be unlisted.
                    // Bound alone, the entry throws, naming the key and the value.
                    var entry = new TenantOptions();
                    tenant.Bind(entry);
                    registry.Tenants[tenant.Key] = entry;
                }
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException)
        {
            throw new InvalidDataException($"is not a tenant registry: {e.Message}", e);
        }

        var result = new TenantRegistryOptionsValidator().Validate(Options.DefaultName, registry);
        return result.Failed ? throw new OptionsValidationException(path, typeof(TenantRegistryOptions), result.Failures) : registry;
    }
}
