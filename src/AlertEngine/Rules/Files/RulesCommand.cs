namespace Convoy.AlertEngine.Rules.Files;

/// <summary>
/// <c>Convoy.AlertEngine rules check FOLDER</c>: validates every rule file of a folder as the
/// engine would load it, prints one line per valid file and every error (file, rule, field), and
/// exits 0 when all are valid, 1 when any is not, 2 on bad usage. For CI before a rules change ships.
/// </summary>
internal static class RulesCommand
{
    public const string Help = """
        Convoy alert rules:

          rules check FOLDER   validate every <tenant>.yaml, .yml and .json in FOLDER;
                               exit 0 all valid, 1 some invalid (errors on stderr), 2 bad usage
        """;

    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        if (args.Length != 2 || args[0] != "check")
        {
            (args.Length == 1 && args[0] is "--help" or "-h" ? output : errors).WriteLine(Help);
            return args.Length == 1 && args[0] is "--help" or "-h" ? 0 : 2;
        }

        string folder = args[1];
        if (!Directory.Exists(folder))
        {
            errors.WriteLine($"{folder}: no such folder");
            return 2;
        }

        var problems = new List<string>();
        var tenants = RuleFileReader.ReadFolder(folder, problems);
        foreach (var (tenant, rules) in tenants.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{rules.Source}: {rules.Count} rule(s) for tenant {tenant}");
        }

        foreach (string problem in problems)
        {
            errors.WriteLine(problem);
        }

        if (tenants.Count == 0 && problems.Count == 0)
        {
            output.WriteLine($"{folder}: no rule files (<tenant>.yaml, .yml or .json); every tenant gets the default rules");
        }

        return problems.Count == 0 ? 0 : 1;
    }
}
