using Microsoft.Extensions.Options;

namespace Convoy.OptionsValidation;

/// <summary>
/// How every program ends on bad settings: one line per bad setting on standard error, each
/// starting with the program's name (<c>Convoy.FleetHistory: Configuration 'FleetHistory:GrpcPort'
/// must be 0..65535, was 70000.</c>), exit code 2, and no stack trace — whether one section was
/// invalid or several at once. Compiled into each program (a linked file), internal to each.
/// </summary>
internal static class StartupFailure
{
    /// <summary>The exit code of a program stopped by its settings.</summary>
    public const int BadSettings = 2;

    /// <summary>Runs the program; 0 when it ran to its end, <see cref="BadSettings"/> when a setting stopped it.</summary>
    public static Task<int> RunAsync(string program, Func<Task> run, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return RunAsync(program, async () =>
        {
            await run();
            return 0;
        }, error);
    }

    /// <summary>Runs a command of the program; its exit code, or <see cref="BadSettings"/> when a setting stopped it.</summary>
    public static async Task<int> RunAsync(string program, Func<Task<int>> run, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        error ??= Console.Error;
        try
        {
            return await run();
        }
        catch (OptionsValidationException e)
        {
            Write(error, program, e);
            return BadSettings;
        }
        catch (InvalidOperationException e) when (UnconvertibleSetting(e) is { } line)
        {
            // The configuration binder could not read a value as its type (Port=abc, Severity=Loud).
            error.WriteLine($"{program}: {line}");
            return BadSettings;
        }
        catch (IOException e) when (e.InnerException?.GetType().Name == "AddressInUseException")
        {
            // Kestrel could not bind: the port is another process's.
            error.WriteLine($"{program}: {e.Message.TrimEnd('.')}: another process is listening there; stop it, or choose another port in the settings.");
            return BadSettings;
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0 && e.InnerExceptions.All(static inner => inner is OptionsValidationException))
        {
            // Several sections invalid at once (e.g. FleetHistory and Kafka): every one is reported.
            foreach (var inner in e.InnerExceptions.Cast<OptionsValidationException>())
            {
                Write(error, program, inner);
            }

            return BadSettings;
        }
    }

    /// <summary>
    /// "Configuration 'K' must be T, was 'V'." for the binder's "Failed to convert configuration value
    /// 'V' at 'K' to type 'T'."; null for any other exception.
    /// </summary>
    internal static string? UnconvertibleSetting(InvalidOperationException e)
    {
        const string Start = "Failed to convert configuration value '";
        string message = e.Message;
        int at = message.IndexOf("' at '", StringComparison.Ordinal), to = message.IndexOf("' to type '", StringComparison.Ordinal);
        if (!message.StartsWith(Start, StringComparison.Ordinal) || at < 0 || to < at)
        {
            return null;
        }

        string value = message[Start.Length..at], key = message[(at + 6)..to];
        string type = message[(to + 11)..].TrimEnd('.', '\'');
        return $"Configuration '{key}' must be {Expected(type)}, was '{value}'.";
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Best effort: in a trimmed program (the agent) a type not found gives the generic wording.")]
    private static string Expected(string type)
    {
        switch (type)
        {
            case "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt64" or "System.Int16" or "System.UInt16" or "System.Byte":
                return "a whole number";
            case "System.Double" or "System.Single" or "System.Decimal":
                return "a number (with a point, not a comma)";
            case "System.Boolean":
                return "true or false";
            case "System.TimeSpan":
                return "a duration such as 00:05:00 (hh:mm:ss) or 1.00:00:00 (a day)";
        }

        // An enumeration: its names, when its type can be found here.
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(type) is { IsEnum: true } found)
            {
                return "one of " + string.Join(", ", Enum.GetNames(found));
            }
        }

        return $"a value of type {type}";
    }

    private static void Write(TextWriter error, string program, OptionsValidationException e)
    {
        foreach (string failure in e.Failures)
        {
            error.WriteLine($"{program}: {failure}");
        }
    }
}
