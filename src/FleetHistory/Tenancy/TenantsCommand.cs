using Convoy.FleetHistory.Store;
using Convoy.Kafka;

namespace Convoy.FleetHistory.Tenancy;

/// <summary>
/// <c>Convoy.FleetHistory tenants delete TENANT [--trust-roots FILE] [--state-topic NAME] [settings]</c>:
/// the operator's command that removes a tenant (<see cref="TenantDeletion"/>), with the same
/// settings as the program (store, Kafka), and prints the deletion report.
/// </summary>
public static class TenantsCommand
{
    public const string Usage = """
        Usage: Convoy.FleetHistory tenants delete TENANT [--trust-roots FILE] [--state-topic NAME] [--Key=Value ...]
          Removes TENANT from the platform: its projections in the store, its topics telemetry.TENANT and
          alerts.TENANT, its devices' state in the alert engine's state topic (--state-topic, default
          convoy.alert-state), and its own device CA from the collector's trust roots file (--trust-roots,
          the file Collector:DeviceTrustRoots names). Disable the tenant in the collector's registry first,
          so nothing new arrives. The settings (--FleetHistory:..., --Kafka:...) are the program's.
          Exit code 0 when the checks find nothing of the tenant left, 1 when they do, 2 for a usage error.
        """;

    /// <summary>True when <paramref name="args"/> are this command's.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "tenants";

    public static async Task<int> RunAsync(string[] args, TextWriter output, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length < 3 || args[1] != "delete" || args[2].StartsWith('-'))
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }

        string tenant = args[2];
        string? trustRoots = null;
        string stateTopic = "convoy.alert-state";
        var settings = new List<string>();
        for (int i = 3; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--trust-roots" when i + 1 < args.Length:
                    trustRoots = args[++i];
                    break;
                case "--state-topic" when i + 1 < args.Length:
                    stateTopic = args[++i];
                    break;
                default:
                    settings.Add(args[i]);
                    break;
            }
        }

        if (!Pki.DeviceIdentity.IsValidTenant(tenant))
        {
            await output.WriteLineAsync($"'{tenant}' is not a tenant id (1..63 characters of [a-z0-9-])");
            return 2;
        }

        if (trustRoots is not null && !File.Exists(trustRoots))
        {
            await output.WriteLineAsync($"--trust-roots names '{trustRoots}', which does not exist");
            return 2;
        }

        // The program's own wiring (store, Kafka, settings checks), not started: no port is opened.
        await using var app = FleetHistoryHost.Build([.. settings], configureServices);
        var deletion = new TenantDeletion(app.Services.GetRequiredService<IFleetStore>(), app.Services.GetRequiredService<KafkaCluster>());
        DeletionReport report;
        try
        {
            report = await deletion.DeleteAsync(tenant, stateTopic, trustRoots);
        }
        catch (StoreUnavailableException e)
        {
            await output.WriteLineAsync($"Deletion of tenant {tenant} stopped: {e.Message}. Is a fleet history instance still running on this store? Stop it, then run this again.");
            return 1;
        }

        await output.WriteAsync(report.ToString());
        return report.Complete ? 0 : 1;
    }
}
