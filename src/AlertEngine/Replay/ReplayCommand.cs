using System.Globalization;
using Convoy.AlertEngine.Alerts;
using Convoy.AlertEngine.Rules.Files;
using Convoy.Kafka;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Replay;

/// <summary>
/// <c>Convoy.AlertEngine replay --tenant T --rules FILE --from TIME [--to TIME] [--run NAME] [settings]</c>:
/// the operator's command that runs a tenant's changed rules over its past telemetry
/// (<see cref="RuleReplay"/>), with the program's own Kafka settings, and prints what they raised.
/// </summary>
internal static class ReplayCommand
{
    public const string Usage = """
        Usage: Convoy.AlertEngine replay --tenant TENANT --rules FILE --from TIME [--to TIME] [--run NAME] [--Key=Value ...]
          Runs the rules of FILE (a rule file, as <tenant>.yaml in the rules folder) over the records of
          telemetry.TENANT that the collector took from TIME to TIME (ISO 8601, UTC unless an offset is
          given; --to defaults to now), with the engine's own evaluator, and writes the alerts they raise to
          alerts-replay.TENANT.NAME (--run, [a-z0-9-], 1..40 characters; default the start time,
          yyyyMMddTHHmmssZ). The live alerts, the rule state and the engine's offsets are not touched.
          The settings (--Kafka:..., --AlertEngine:AllowedLatenessSeconds, ...) are the program's.
          Exit code 0 when the replay ran, 1 when it could not (the reason is printed), 2 for a usage error.
        """;

    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "replay";

    public static async Task<int> RunAsync(string[] args, TextWriter output, Action<IServiceCollection>? configureServices = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        string? tenant = null, rulesFile = null, from = null, to = null;
        string run = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture).ToLowerInvariant();
        var settings = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tenant" when i + 1 < args.Length:
                    tenant = args[++i];
                    break;
                case "--rules" when i + 1 < args.Length:
                    rulesFile = args[++i];
                    break;
                case "--from" when i + 1 < args.Length:
                    from = args[++i];
                    break;
                case "--to" when i + 1 < args.Length:
                    to = args[++i];
                    break;
                case "--run" when i + 1 < args.Length:
                    run = args[++i];
                    break;
                case "--help" or "-h":
                    await output.WriteLineAsync(Usage);
                    return 0;
                default:
                    settings.Add(args[i]);
                    break;
            }
        }

        if (tenant is null || rulesFile is null || from is null)
        {
            await output.WriteLineAsync("replay needs --tenant, --rules and --from\n" + Usage);
            return 2;
        }

        if (!TryParseTime(from, out var fromTime) || !TryParseTime(to ?? now.ToString("O", CultureInfo.InvariantCulture), out var toTime))
        {
            await output.WriteLineAsync($"--from '{from}' and --to '{to}' must be times in ISO 8601, such as 2026-12-06T08:00:00Z");
            return 2;
        }

        if (toTime <= fromTime)
        {
            await output.WriteLineAsync($"--to ({toTime:O}) must be after --from ({fromTime:O})");
            return 2;
        }

        if (run.Length is 0 or > 40 || !run.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            await output.WriteLineAsync($"--run '{run}' must be 1..40 characters of [a-z0-9-]: it names the topic alerts-replay.{tenant}.<run>");
            return 2;
        }

        if (!File.Exists(rulesFile))
        {
            await output.WriteLineAsync($"--rules names '{rulesFile}', which does not exist");
            return 2;
        }

        var problems = new List<string>();
        var rules = RuleFileReader.ReadFile(rulesFile, rulesFile, problems);
        if (rules is null || problems.Count > 0)
        {
            await output.WriteLineAsync($"{rulesFile} is not a valid rule file; nothing was replayed:");
            foreach (string problem in problems)
            {
                await output.WriteLineAsync("  " + problem);
            }

            return 2;
        }

        // The program's own wiring (Kafka, settings), not started: no port is opened, no group joined.
        using var host = AlertEngineHost.Build([.. settings], configureServices);
        var replay = new RuleReplay(host.Services.GetRequiredService<KafkaCluster>(), host.Services.GetRequiredService<AlertProducer>(),
            host.Services.GetRequiredService<IOptions<AlertEngineOptions>>().Value);
        var request = new ReplayRequest(tenant, rules, fromTime.ToUnixTimeMilliseconds(), toTime.ToUnixTimeMilliseconds(), run);
        await output.WriteLineAsync($"Replaying {rules.Count} rule(s) of {rulesFile} over telemetry.{tenant} from {fromTime:O} to {toTime:O} into {request.AlertTopic}");
        ReplayReport report;
        try
        {
            report = await replay.RunAsync(request, line => output.WriteLine("  " + line), CancellationToken.None);
        }
        catch (ReplayException e)
        {
            await output.WriteLineAsync($"Replay stopped: {e.Message}");
            return 1;
        }

        await output.WriteLineAsync($"Done: {report.Records} record(s) read, {report.Evaluated} evaluated, {report.Skipped} skipped (duplicates, too late, unreadable); {report.AlertCount} alert(s) written to {request.AlertTopic}");
        foreach (var ((rule, state), count) in report.Alerts)
        {
            await output.WriteLineAsync($"  {rule,-24} {state,-10} {count}");
        }

        return 0;
    }

    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
