using System.Globalization;

namespace Convoy.Demo;

/// <summary>The demo's own switches (not the programs' settings, which it sets itself).</summary>
internal sealed class DemoOptions
{
    public const string Help = """
        Convoy demo: starts the embedded Kafka cluster (librdkafka's mock: in memory only), the
        collector, the alert engine, the fleet history read side and simulated trucks of two
        tenants (acme and globex) in this process, and shows what happens until Ctrl+C or --duration.

        Usage: dotnet run --project src/Demo [-- options]
          --duration SECONDS     stop by itself after this long (default: run until Ctrl+C)
          --trucks N             trucks per tenant (4)
          --time-scale X         simulated seconds per real second until caught up with now (60)
          --hours-back H         simulated time starts this many hours ago (2)
          --folder DIR           development certificates, demo tokens, the read side's store and logs (.convoy/demo)
          --query-port N         the fleet history HTTP/JSON port, 0 = any free port (5091)
          --grpc-port N          the fleet history gRPC port, 0 = any free port (5090)
          --console-port N       the tenant console (web), 0 = any free port (5080)

        Each truck's readings are real batches over mutual TLS, acknowledged only after the
        embedded Kafka confirmed them; one truck of each tenant has a reefer compressor that
        fails, which the alert engine reports for that tenant only.
        """;

    public TimeSpan? Duration { get; private set; }

    public int TrucksPerTenant { get; private set; } = 4;

    public double TimeScale { get; private set; } = 60;

    public double HoursBack { get; private set; } = 2;

    public string Folder { get; private set; } = Path.Combine(".convoy", "demo");

    public int QueryPort { get; private set; } = 5091;

    public int GrpcPort { get; private set; } = 5090;

    public int ConsolePort { get; private set; } = 5080;

    public bool ShowHelp { get; private set; }

    /// <summary>Parses the switches; returns an error message for a bad one.</summary>
    public static (DemoOptions Options, string? Error) Parse(string[] args)
    {
        var options = new DemoOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                options.ShowHelp = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                return (options, $"{name} needs a value");
            }

            string value = args[++i];
            bool ok = name switch
            {
                "--duration" => TryPositive(value, 1, 86_400, out double seconds) && Set(() => options.Duration = TimeSpan.FromSeconds(seconds)),
                "--trucks" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int trucks) && trucks is >= 1 and <= 1000 && Set(() => options.TrucksPerTenant = trucks),
                "--time-scale" => TryPositive(value, 1, 3600, out double scale) && Set(() => options.TimeScale = scale),
                "--hours-back" => TryPositive(value, 0, 720, out double hours) && Set(() => options.HoursBack = hours),
                "--folder" => value.Length > 0 && Set(() => options.Folder = value),
                "--query-port" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int query) && query <= 65535 && Set(() => options.QueryPort = query),
                "--grpc-port" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int grpc) && grpc <= 65535 && Set(() => options.GrpcPort = grpc),
                "--console-port" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int web) && web <= 65535 && Set(() => options.ConsolePort = web),
                _ => false,
            };
            if (!ok)
            {
                return (options, $"'{name} {value}' is not understood; see --help");
            }
        }

        return (options, null);
    }

    private static bool TryPositive(string value, double min, double max, out double result) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out result) && result >= min && result <= max;

    private static bool Set(Action set)
    {
        set();
        return true;
    }
}
