using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Convoy.TestKit;

/// <summary>Options as the hosts check them: the generated validators, and the defaults <c>--help</c> shows.</summary>
public static partial class OptionsChecks
{
    /// <summary>Runs a (generated) validator as the host does at start: throws its <see cref="OptionsValidationException"/> when it fails.</summary>
    public static void Validate<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures);
        }
    }

    /// <summary>
    /// Every <c>(default X)</c> in a help text, given for the <c>--Key=</c> on its line (or the line
    /// above, for a continuation), bound to that key gives the value a new options instance has:
    /// the help cannot show a default the code does not have. <paramref name="roots"/> map a
    /// configuration section to a new instance of its options; <c>:N:</c> in a key is item 0 of a
    /// list. Returns how many defaults were checked.
    /// </summary>
    public static int AssertHelpShowsTheDefaults(string help, params (string Section, Func<object> Create)[] roots)
    {
        ArgumentNullException.ThrowIfNull(help);
        string? key = null;
        int checkedDefaults = 0;
        foreach (string line in help.Split('\n'))
        {
            var keyMatch = KeyPattern().Match(line);
            if (keyMatch.Success)
            {
                key = keyMatch.Groups["key"].Value;
            }

            var shown = DefaultPattern().Match(line);
            if (!shown.Success)
            {
                continue;
            }

            Assert.True(key is not null, $"'{line.Trim()}' shows a default before any --Key=");
            Assert.Single(DefaultStartPattern().Matches(line));
            string path = key!.Replace(":N:", ":0:", StringComparison.Ordinal);
            var (section, create) = roots.Where(r => path.StartsWith(r.Section + ":", StringComparison.Ordinal)).MaxBy(r => r.Section.Length);
            Assert.True(create is not null, $"no options for '{key}'");
            string[] members = path[(section.Length + 1)..].Split(':');

            object configured = create();
            new ConfigurationBuilder().AddInMemoryCollection([new(path, shown.Groups["value"].Value)]).Build().GetSection(section).Bind(configured);
            object? expected = Read(create(), members);
            object? actual = Read(configured, members);

            Assert.True(Equals(expected, actual), $"--help shows {key} {shown.Value}, but its default is '{expected}'");
            checkedDefaults++;
        }

        return checkedDefaults;
    }

    private static object? Read(object? target, string[] members)
    {
        foreach (string member in members)
        {
            Assert.NotNull(target);
            if (target is IList list && int.TryParse(member, out int index))
            {
                target = index < list.Count ? list[index] : Activator.CreateInstance(list.GetType().GetGenericArguments()[0]);
                continue;
            }

            var property = target.GetType().GetProperty(member, BindingFlags.Public | BindingFlags.Instance);
            Assert.True(property is not null, $"{target.GetType().Name} has no setting '{member}'");
            target = property!.GetValue(target);
        }

        return target;
    }

    [GeneratedRegex(@"^\s*--(?<key>[A-Za-z0-9:]+)=")]
    private static partial Regex KeyPattern();

    // Up to the line's last ')', so a default may hold parentheses (a regular expression).
    [GeneratedRegex(@"\(default (?<value>.*)\)")]
    private static partial Regex DefaultPattern();

    [GeneratedRegex(@"\(default ")]
    private static partial Regex DefaultStartPattern();
}
