using Convoy.Files;
using Microsoft.Extensions.Options;

namespace Convoy.AlertEngine.Rules.Files;

/// <summary>
/// Loads the rules folder (<c>AlertEngine:RulesFolder</c>) into the <see cref="RuleCatalog"/> at
/// start, then follows it: a changed, added or removed file takes effect without a restart,
/// within a second or two. The folder is followed as every file Convoy follows on disk
/// (certificates, keys, the tenants file): a <see cref="FileFollower{T}"/> lists it and compares
/// each file's write time and length once a second, and reads it again only when one changed (an
/// editor's save that takes several writes is read again at the next check). A file that
/// no longer validates is rejected with its errors logged, and that tenant keeps its previous
/// rules; a removed file returns its tenant to the default rules. At start an invalid file is a
/// configuration error (the engine does not start), so a typo is caught before it silently drops
/// a tenant's rules.
/// </summary>
/// <remarks>
/// The fleet history read side follows the same folder with this same class (its
/// <c>FleetHistory:RulesFolder</c>), so that what it reports is what the engine runs; there an
/// invalid file at start is reported by GetRules rather than refused, and no engine metrics count.
/// </remarks>
internal sealed class RuleFolder : BackgroundService
{
    private readonly RuleCatalog _catalog;
    private readonly string _folder;
    private readonly AlertEngineMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (string Text, TenantRules Rules)> _loaded = new(StringComparer.Ordinal);
    // A file that did not load, as it was read, and why: read again unchanged (another file of the folder changed), it
    // is neither logged nor counted again (its errors stay in the catalog).
    private readonly Dictionary<string, (string Text, string[] Errors)> _failed = new(StringComparer.Ordinal);
    private readonly FileFollower<RuleCatalog>? _files;
    private readonly TimeProvider _time;
    // Errors of the latest read; a read at start that has any is the start-up refusal.
    private List<string> _errors = [];
    private bool _logRejections;

    /// <summary>The engine's: <c>AlertEngine:RulesFolder</c>, an invalid file at start stops the start.</summary>
    public RuleFolder(RuleCatalog catalog, IOptions<AlertEngineOptions> options, AlertEngineMetrics metrics, ILogger<RuleFolder> logger)
        : this(catalog, options.Value.RulesFolder, "AlertEngine:RulesFolder", refuseInvalidAtStart: true, metrics, logger, TimeProvider.System)
    {
    }

    /// <param name="catalog">the catalog the rules are swapped into.</param>
    /// <param name="folder">the rules folder; empty for none.</param>
    /// <param name="setting">the configuration key that named <paramref name="folder"/>, for the start-up refusal.</param>
    /// <param name="refuseInvalidAtStart">throw an <see cref="OptionsValidationException"/> when a file is invalid at start; otherwise keep its errors in the catalog.</param>
    /// <param name="metrics">the engine's reload counters; null where the engine does not run (the read side).</param>
    /// <param name="logger">where loaded, rejected and removed rule files are logged.</param>
    /// <param name="time">the clock that paces the checks of the folder.</param>
    internal RuleFolder(RuleCatalog catalog, string folder, string setting, bool refuseInvalidAtStart, AlertEngineMetrics? metrics, ILogger logger, TimeProvider time)
    {
        _catalog = catalog;
        _folder = folder;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        if (_folder.Length == 0)
        {
            return;
        }

        // Refused at start, the errors are the refusal's own lines: not logged besides.
        _logRejections = !refuseInvalidAtStart;
        _files = new FileFollower<RuleCatalog>(ListFiles, ReadFolder, static (_, _) => { }, LogUnlisted, time, logger);
        _logRejections = true;
        if (_errors.Count > 0 && refuseInvalidAtStart)
        {
            throw new OptionsValidationException(setting, typeof(AlertEngineOptions),
                [$"Configuration '{setting}' has invalid rule files:{Environment.NewLine}{string.Join(Environment.NewLine, _errors)}"]);
        }
    }

    /// <summary>The errors of the latest read of the folder (none when every file loaded).</summary>
    internal IReadOnlyList<string> Errors => _errors;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_files is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FileFollower<RuleCatalog>.CheckEvery, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _files.Refresh();
        }
    }

    /// <summary>The folder's files (rule files and any other: one added or removed is looked at).</summary>
    private string[] ListFiles() => Directory.GetFiles(_folder);

    /// <summary>The follower's read: the folder again, per tenant (a bad file keeps its tenant's last good rules).</summary>
    private RuleCatalog ReadFolder()
    {
        var errors = new List<string>();
        Reload(errors, _logRejections);
        _errors = errors;
        return _catalog;
    }

    private void LogUnlisted(ILogger logger, string reason) => AlertEngineLog.RulesRejected(logger, $"{_folder}: cannot be listed: {reason}");

    /// <summary>Reads the folder again and swaps in what changed; errors go to the log and to <paramref name="errors"/>.</summary>
    internal void Reload(List<string> errors, bool logRejections = true)
    {
        var files = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string path in Directory.GetFiles(_folder))
        {
            if (RuleFileReader.IsRuleFile(path))
            {
                string tenant = Path.GetFileNameWithoutExtension(path);
                if (!files.TryGetValue(tenant, out var paths))
                {
                    files[tenant] = paths = [];
                }

                paths.Add(path);
            }
        }

        bool changed = false;
        var rejected = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (tenant, paths) in files)
        {
            int before = errors.Count;
            string display = Path.Combine(_folder, Path.GetFileName(paths[0]));
            string? text = null;
            if (paths.Count > 1)
            {
                errors.Add($"{display}: tenant '{tenant}' has {paths.Count} rule files ({string.Join(", ", paths.Select(Path.GetFileName).Order(StringComparer.Ordinal))}); keep one");
            }
            else
            {
                try
                {
                    text = File.ReadAllText(paths[0]);
                }
                catch (IOException e)
                {
                    errors.Add($"{display}: cannot be read: {e.Message}");
                }

                if (text is not null && _loaded.TryGetValue(tenant, out var previous) && previous.Text == text)
                {
                    continue;
                }

                if (text is not null && _failed.TryGetValue(tenant, out var failed) && failed.Text == text)
                {
                    rejected[tenant] = failed.Errors;
                    errors.AddRange(failed.Errors);
                    continue;
                }

                var rules = text is null ? null : RuleFileReader.Parse(text, RuleFileReader.IsJson(paths[0]), display, errors);
                if (rules is not null)
                {
                    _failed.Remove(tenant);
                    _loaded[tenant] = (text!, rules);
                    changed = true;
                    _metrics?.RulesReloaded(tenant, applied: true);
                    AlertEngineLog.RulesLoaded(_logger, tenant, display, rules.Count);
                    continue;
                }
            }

            _metrics?.RulesReloaded(tenant, applied: false);
            rejected[tenant] = [.. errors.Skip(before)];
            if (text is not null && paths.Count == 1)
            {
                _failed[tenant] = (text, rejected[tenant]);
            }
            else
            {
                _failed.Remove(tenant);
            }

            for (int i = before; i < errors.Count && logRejections; i++)
            {
                AlertEngineLog.RulesRejected(_logger, errors[i]);
            }
        }

        // A file that loads, or is gone, has no errors any more; one that failed again has its new ones.
        _catalog.Reject(rejected);
        foreach (string tenant in _failed.Keys.Where(t => !files.ContainsKey(t)).ToArray())
        {
            _failed.Remove(tenant);
        }

        foreach (string tenant in _loaded.Keys.Where(t => !files.ContainsKey(t)).ToArray())
        {
            _loaded.Remove(tenant);
            changed = true;
            AlertEngineLog.RulesRemoved(_logger, tenant);
        }

        if (changed)
        {
            _catalog.Replace(_loaded.ToDictionary(e => e.Key, e => e.Value.Rules, StringComparer.Ordinal));
        }
    }
}
