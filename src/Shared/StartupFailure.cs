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

    private static void Write(TextWriter error, string program, OptionsValidationException e)
    {
        foreach (string failure in e.Failures)
        {
            error.WriteLine($"{program}: {failure}");
        }
    }
}
