using System.Threading.Channels;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Convoy.AlertEngine.Rules.Files;

/// <summary>
/// Loads the rules folder (<c>AlertEngine:RulesFolder</c>) into the <see cref="RuleCatalog"/> at
/// start, then follows it: a changed, added or removed file takes effect without a restart,
/// a quarter of a second after the last change (an editor's save is several writes), and
/// at the latest at the next 5-second rescan should a file system event be missed. A file that
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
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Rescan = TimeSpan.FromSeconds(5);
    private readonly RuleCatalog _catalog;
    private readonly string _folder;
    private readonly AlertEngineMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (string Text, TenantRules Rules)> _loaded = new(StringComparer.Ordinal);
    // A file that did not load, as it was read, and why: read again unchanged at the next rescan, it
    // is neither logged nor counted again (its errors stay in the catalog).
    private readonly Dictionary<string, (string Text, string[] Errors)> _failed = new(StringComparer.Ordinal);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The engine's: <c>AlertEngine:RulesFolder</c>, an invalid file at start stops the start.</summary>
    public RuleFolder(RuleCatalog catalog, IOptions<AlertEngineOptions> options, AlertEngineMetrics metrics, ILogger<RuleFolder> logger)
        : this(catalog, options.Value.RulesFolder, "AlertEngine:RulesFolder", refuseInvalidAtStart: true, metrics, logger)
    {
    }

    /// <param name="catalog">the catalog the rules are swapped into.</param>
    /// <param name="folder">the rules folder; empty for none.</param>
    /// <param name="setting">the configuration key that named <paramref name="folder"/>, for the start-up refusal.</param>
    /// <param name="refuseInvalidAtStart">throw an <see cref="OptionsValidationException"/> when a file is invalid at start; otherwise keep its errors in the catalog.</param>
    /// <param name="metrics">the engine's reload counters; null where the engine does not run (the read side).</param>
    /// <param name="logger">where loaded, rejected and removed rule files are logged.</param>
    internal RuleFolder(RuleCatalog catalog, string folder, string setting, bool refuseInvalidAtStart, AlertEngineMetrics? metrics, ILogger logger)
    {
        _catalog = catalog;
        _folder = folder;
        _metrics = metrics;
        _logger = logger;
        if (_folder.Length == 0)
        {
            return;
        }

        var errors = new List<string>();
        // Refused at start, the errors are the refusal's own lines: not logged besides.
        Reload(errors, logRejections: !refuseInvalidAtStart);
        if (errors.Count > 0 && refuseInvalidAtStart)
        {
            throw new OptionsValidationException(setting, typeof(AlertEngineOptions),
                [$"Configuration '{setting}' has invalid rule files:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}"]);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_folder.Length == 0)
        {
            return;
        }

        using var files = new PhysicalFileProvider(Path.GetFullPath(_folder));
        using var following = ChangeToken.OnChange(() => files.Watch("*"), () => _changed.Writer.TryWrite(true));
        while (!stoppingToken.IsCancellationRequested)
        {
            // A change event, or the rescan interval: file system events can be missed (a watch
            // set up just after a write, network file systems, inotify limits), and a rescan that
            // finds nothing changed costs a read of each file and nothing else.
            using var rescan = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            rescan.CancelAfter(Rescan);
            try
            {
                await _changed.Reader.WaitToReadAsync(rescan.Token);
                await Task.Delay(Settle, stoppingToken);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Rescan.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _changed.Reader.TryRead(out _);
            try
            {
                Reload([]);
            }
            catch (IOException e)
            {
                AlertEngineLog.RulesRejected(_logger, $"{_folder}: cannot be listed: {e.Message}");
            }
        }
    }

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
