using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Convoy.Tenancy;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Tenancy;

/// <summary>
/// <c>Convoy.Collector tenants list|check|add|disable|enable FILE ...</c>: the tenant registry
/// (<c>Collector:TenantsFile</c>) without hand-editing JSON. Every change is checked as the collector
/// checks the file, then written to a temporary file and renamed over it, so a running collector
/// (which follows the file) never reads half of it nor a registry it would refuse. Exit codes as
/// <c>rules check</c>: 0 done or valid, 1 refused or invalid (why on standard error), 2 bad usage.
/// </summary>
internal static class TenantsCommand
{
    public const string Help = """
        Convoy tenant registry (the file of Collector:TenantsFile):

          tenants list FILE                      every tenant: id, enabled, display name, quota
          tenants check FILE                     validate as the collector would; exit 0 valid, 1 invalid
          tenants add FILE TENANT [--name TEXT] [--readings-per-second N] [--max-streams N]
                                  [--positions-days N] [--rollups-days N] [--alerts-days N]
                                  [--isolation DatabasePerTenant|SharedTables]
                                                 register a tenant (the file is created if missing); the days
                                                 and isolation are the fleet history's (FleetHistory:TenantsFile)
          tenants disable FILE TENANT            refuse the tenant's devices (PERMISSION_DENIED) until enabled
          tenants enable FILE TENANT
        Changes are written atomically; a running collector applies them at its next stream or batch.
        Exit 0 done, 1 refused or invalid (why on standard error), 2 bad usage.
        """;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        if (args is [] or ["--help" or "-h"])
        {
            (args.Length == 0 ? errors : output).WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args switch
            {
                ["list", var file] => List(file, output, errors),
                ["check", var file] => Check(file, output, errors),
                ["add", var file, var tenant, .. var options] => Add(file, tenant, options, output, errors),
                ["disable", var file, var tenant] => SetEnabled(file, tenant, false, output, errors),
                ["enable", var file, var tenant] => SetEnabled(file, tenant, true, output, errors),
                _ => Usage(errors),
            };
        }
        catch (IOException e)
        {
            errors.WriteLine(e.Message);
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            errors.WriteLine(e.Message);
            return 1;
        }
    }

    private static int Usage(TextWriter errors)
    {
        errors.WriteLine(Help);
        return 2;
    }

    private static int List(string file, TextWriter output, TextWriter errors)
    {
        if (Registry(file, errors) is not { } registry)
        {
            return File.Exists(file) ? 1 : 2;
        }

        output.WriteLine($"{file}: {registry.Tenants.Count} tenant(s); {(registry.Open ? "open: unlisted tenants are admitted with the default quota" : "closed: only these tenants are admitted")}");
        foreach (var (id, tenant) in registry.Tenants.OrderBy(static t => t.Key, StringComparer.Ordinal))
        {
            var quota = tenant.Quota;
            string limits = quota is null ? "default quota" : string.Create(CultureInfo.InvariantCulture, $"{quota.ReadingsPerSecond:0} readings/s, {quota.MaxStreams} streams");
            string kept = tenant.Retention is { } r ? $"days kept {Days(r.PositionsDays)}/{Days(r.RollupsDays)}/{Days(r.AlertsDays)}" : "default retention";
            string isolation = tenant.Store?.Isolation?.ToString() ?? "default isolation";
            output.WriteLine($"{id}\t{(tenant.Enabled ? "enabled" : "DISABLED")}\t{limits}\t{kept}\t{isolation}\t{tenant.DisplayName}");
        }

        return 0;
    }

    private static string Days(int days) => days > 0 ? days.ToString(CultureInfo.InvariantCulture) : "default";

    private static int Check(string file, TextWriter output, TextWriter errors)
    {
        if (Registry(file, errors) is not { } registry)
        {
            return File.Exists(file) ? 1 : 2;
        }

        output.WriteLine($"{file}: valid, {registry.Tenants.Count} tenant(s) ({registry.Tenants.Values.Count(static t => !t.Enabled)} disabled), registry {(registry.Open ? "open" : "closed")}");
        return 0;
    }

    private static int Add(string file, string tenant, string[] options, TextWriter output, TextWriter errors)
    {
        if (!Pki.DeviceIdentity.IsValidTenant(tenant))
        {
            errors.WriteLine($"'{tenant}' is not a tenant id: 1..63 characters of [a-z0-9-]");
            return 1;
        }

        var entry = new JsonObject();
        var quota = new JsonObject();
        var retention = new JsonObject();
        var store = new JsonObject();
        for (int i = 0; i < options.Length; i += 2)
        {
            if (i + 1 >= options.Length)
            {
                return Usage(errors);
            }

            string value = options[i + 1];
            switch (options[i])
            {
                case "--name":
                    entry["DisplayName"] = value;
                    break;
                case "--readings-per-second" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate):
                    quota["ReadingsPerSecond"] = rate;
                    break;
                case "--max-streams" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int streams):
                    quota["MaxStreams"] = streams;
                    break;
                case "--positions-days" or "--rollups-days" or "--alerts-days" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int days):
                    retention[options[i] switch { "--positions-days" => "PositionsDays", "--rollups-days" => "RollupsDays", _ => "AlertsDays" }] = days;
                    break;
                case "--isolation" when Enum.TryParse<ClickHouseIsolation>(value, ignoreCase: false, out var isolation) && Enum.IsDefined(isolation):
                    store["Isolation"] = isolation.ToString();
                    break;
                default:
                    errors.WriteLine($"'{options[i]} {value}' is not understood: --name TEXT, --readings-per-second N, --max-streams N, --positions-days N, --rollups-days N, --alerts-days N or --isolation DatabasePerTenant|SharedTables");
                    return 2;
            }
        }

        if (quota.Count > 0)
        {
            entry["Quota"] = quota;
        }

        if (retention.Count > 0)
        {
            entry["Retention"] = retention;
        }

        if (store.Count > 0)
        {
            entry["Store"] = store;
        }

        var document = File.Exists(file) ? Document(file, errors) : new JsonObject { ["Open"] = false };
        if (document is null)
        {
            return 1;
        }

        var tenants = Section(document, "Tenants", create: true)!;
        if (Find(tenants, tenant) is not null)
        {
            errors.WriteLine($"{file}: tenant {tenant} is already registered");
            return 1;
        }

        tenants[tenant] = entry;
        return Write(file, document, $"{file}: tenant {tenant} added", output, errors);
    }

    private static int SetEnabled(string file, string tenant, bool enabled, TextWriter output, TextWriter errors)
    {
        if (!File.Exists(file))
        {
            errors.WriteLine($"{file}: no such file");
            return 2;
        }

        var document = Document(file, errors);
        if (document is null)
        {
            return 1;
        }

        if (Section(document, "Tenants", create: false) is not { } tenants || Find(tenants, tenant) is not { } name || tenants[name] is not JsonObject entry)
        {
            errors.WriteLine($"{file}: tenant {tenant} is not registered (tenants add FILE {tenant} first)");
            return 1;
        }

        entry[Find(entry, "Enabled") ?? "Enabled"] = enabled;
        return Write(file, document, $"{file}: tenant {tenant} {(enabled ? "enabled" : "disabled")}", output, errors);
    }

    /// <summary>The registry the file holds, checked; null (and why on <paramref name="errors"/>) when it is missing or invalid.</summary>
    private static TenantRegistryOptions? Registry(string file, TextWriter errors, string? shown = null)
    {
        shown ??= file;
        if (!File.Exists(file))
        {
            errors.WriteLine($"{file}: no such file");
            return null;
        }

        try
        {
            return TenantRegistryFile.Read(file);
        }
        catch (OptionsValidationException e)
        {
            foreach (string failure in e.Failures)
            {
                errors.WriteLine($"{shown}: {failure}");
            }
        }
        catch (InvalidDataException e)
        {
            errors.WriteLine($"{shown}: {e.Message}");
        }

        return null;
    }

    private static JsonObject? Document(string file, TextWriter errors)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(file), documentOptions: Lenient) is JsonObject document)
            {
                return document;
            }

            errors.WriteLine($"{file}: is not a tenant registry: its top level is not a JSON object");
        }
        catch (JsonException e)
        {
            errors.WriteLine($"{file}: is not a tenant registry: {e.Message}");
        }

        return null;
    }

    /// <summary>The object under <paramref name="key"/> (matched as the collector reads keys, ignoring case).</summary>
    private static JsonObject? Section(JsonObject document, string key, bool create)
    {
        if (Find(document, key) is { } name)
        {
            return document[name] as JsonObject;
        }

        if (!create)
        {
            return null;
        }

        var section = new JsonObject();
        document[key] = section;
        return section;
    }

    private static string? Find(JsonObject json, string key) =>
        json.Select(static p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks the changed registry as the collector would, then puts it in place in one rename.</summary>
    private static int Write(string file, JsonObject document, string done, TextWriter output, TextWriter errors)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string temporary = Path.Combine(folder, $".{Path.GetFileName(file)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, document.ToJsonString(Indented) + Environment.NewLine);
        try
        {
            if (Registry(temporary, errors, shown: file) is null)
            {
                return 1;
            }

            File.Move(temporary, file, overwrite: true);
            output.WriteLine(done);
            return 0;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
