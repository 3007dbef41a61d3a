using System.Globalization;
using System.Text;
using System.Text.Json;
using Convoy.Contracts.Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// <c>Convoy.FleetHistory rebuild --tenant T (--from TIME | --from-beginning) --token-file FILE [--url URL]</c>:
/// asks a running fleet history to rebuild the tenant's projections (StartRebuild) and follows the
/// rebuild until the new version is live or has failed, printing its progress.
/// </summary>
public static class RebuildCommand
{
    public const string Usage = """
        Usage: Convoy.FleetHistory rebuild --tenant TENANT (--from TIME | --from-beginning) --token-file FILE [--url URL]
          Has the running fleet history at URL (its gRPC address, default http://127.0.0.1:5090) build a new
          version of TENANT's projections from its topics beside the live one, which keeps answering until the
          new one has caught up and takes its place. --from TIME (ISO 8601, UTC unless it says otherwise) keeps
          only what the collector took from then on; --from-beginning reads all the topics still hold.
          FILE holds a bearer token of TENANT with the role admin. Prints the progress every second.
          Exit code 0 when the new version is live, 1 when the rebuild failed or was refused, 2 for a usage error.
        """;

    /// <summary>True when <paramref name="args"/> are this command's.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "rebuild";

    public static async Task<int> RunAsync(string[] args, TextWriter output, HttpMessageHandler? handler = null, TimeSpan? pollEvery = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        string? tenant = null, from = null, tokenFile = null, url = "http://127.0.0.1:5090";
        bool fromBeginning = false;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tenant" when i + 1 < args.Length: tenant = args[++i]; break;
                case "--from" when i + 1 < args.Length: from = args[++i]; break;
                case "--from-beginning": fromBeginning = true; break;
                case "--token-file" when i + 1 < args.Length: tokenFile = args[++i]; break;
                case "--url" when i + 1 < args.Length: url = args[++i]; break;
                default:
                    await output.WriteLineAsync($"'{args[i]}' is not an option of rebuild (or lacks its value).\n{Usage}");
                    return 2;
            }
        }

        string? problem = Check(tenant, from, fromBeginning, tokenFile, url, out long fromMs, out string token);
        if (problem is not null)
        {
            await output.WriteLineAsync(problem + "\n" + Usage);
            return 2;
        }

        using var channel = GrpcChannel.ForAddress(url!, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Contracts.Fleet.V1.FleetHistory.FleetHistoryClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        try
        {
            var status = await client.StartRebuildAsync(new StartRebuildRequest { FromUnixMs = fromMs, FromBeginning = fromBeginning }, headers);
            await output.WriteLineAsync($"Rebuilding {tenant}'s projections from {(fromBeginning ? "the beginning" : from)}: {status.Remaining} record(s) to read; the live version answers meanwhile.");
            while (status.State is RebuildStatus.Types.State.Building or RebuildStatus.Types.State.Switching)
            {
                await Task.Delay(pollEvery ?? TimeSpan.FromSeconds(1));
                status = (await client.GetProjectionStatusAsync(new GetProjectionStatusRequest(), headers)).Rebuild ?? status;
                await output.WriteLineAsync(Progress(status));
            }

            return status.State == RebuildStatus.Types.State.Done ? 0 : 1;
        }
        catch (RpcException e)
        {
            await output.WriteLineAsync($"The fleet history at {url} refused the rebuild: {e.StatusCode}: {e.Status.Detail}");
            return 1;
        }
    }

    private static string Progress(RebuildStatus status) => status.State switch
    {
        RebuildStatus.Types.State.Building => $"building: {status.Records} record(s) read, {status.Remaining} to go",
        RebuildStatus.Types.State.Switching => $"switching: {status.Records} record(s) read, catching up with the live version",
        RebuildStatus.Types.State.Done => $"done: the new version is live ({status.Records} record(s) read in {(status.FinishedUnixMs - status.StartedUnixMs) / 1000.0:F1} s)",
        _ => $"failed: {status.Error}; the live version is as it was",
    };

    /// <summary>What is wrong with the arguments, or null; the start time and the token read.</summary>
    private static string? Check(string? tenant, string? from, bool fromBeginning, string? tokenFile, string? url, out long fromMs, out string token)
    {
        fromMs = 0;
        token = "";
        if (tenant is null || !Pki.DeviceIdentity.IsValidTenant(tenant))
        {
            return "--tenant must name a tenant id (1..63 characters of [a-z0-9-]).";
        }

        if ((from is null) != fromBeginning)
        {
            return "Give exactly one of --from TIME and --from-beginning.";
        }

        if (from is not null)
        {
            if (!DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return $"--from '{from}' is not a time; give ISO 8601, e.g. 2026-12-01T00:00:00Z.";
            }

            fromMs = time.ToUnixTimeMilliseconds();
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            return $"--url '{url}' is not an address, e.g. http://127.0.0.1:5090.";
        }

        if (tokenFile is null || !File.Exists(tokenFile))
        {
            return tokenFile is null ? "--token-file is required: a bearer token of the tenant with the role admin." : $"--token-file names '{tokenFile}', which does not exist.";
        }

        token = File.ReadAllText(tokenFile).Trim();
        // The API takes the tenant from the token alone; say so before rebuilding someone else's.
        string? tid = TenantOf(token);
        return tid == tenant ? null : $"The token in {tokenFile} is {(tid is null ? "not a JWT with a tid claim" : $"for tenant {tid}")}, not {tenant}.";
    }

    /// <summary>The <c>tid</c> claim of a JWT, read without checking the signature (the server checks it).</summary>
    private static string? TenantOf(string jwt)
    {
        string[] parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            string payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return claims.RootElement.TryGetProperty("tid", out var tid) && tid.ValueKind == JsonValueKind.String ? tid.GetString() : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
