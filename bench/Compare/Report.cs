using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Convoy.BenchCompare;

internal sealed record Row(string Name, double[] Base, double[] Head, double BaseMedian, double HeadMedian, double Ratio, double RatioMin, double RatioMax, double SecondRun, string Limit, bool Regressed);

internal sealed record Report(List<Row> Rows)
{
    public bool Regressed => Rows.Exists(static r => r.Regressed);

    public string Markdown(GateOptions options, List<Side> sides, string machine)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"### {options.Base} ({sides[0].Commit[..10]}) → {options.Head} ({sides[1].Commit[..10]})");
        text.AppendLine();
        text.AppendLine(c, $"{machine}; {options.Rounds} load round(s) of {options.Devices} fleet devices for {options.Seconds} s, interleaved; micro-benchmarks: {options.Micro ?? "none"}");
        text.AppendLine();
        text.AppendLine("| metric | base (median) | head (median) | head/base | spread (pairs of rounds) | second run / first | gate | verdict |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            text.AppendLine(c, $"| {row.Name} | {row.BaseMedian:0.##} | {row.HeadMedian:0.##} | {row.Ratio:0.000} | {row.RatioMin:0.000}–{row.RatioMax:0.000} | {(double.IsNaN(row.SecondRun) ? "–" : row.SecondRun.ToString("0.000", c))} | {row.Limit} | {(row.Regressed ? "**REGRESSED**" : "ok")} |");
        }

        text.AppendLine();
        text.AppendLine(Regressed ? "**The gate failed**: a gated metric regressed beyond its limit." : "The gate passed: no gated metric regressed beyond its limit.");
        return text.ToString();
    }

    public string Json(GateOptions options, List<Side> sides, string machine) => JsonSerializer.Serialize(new
    {
        date = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        machine,
        @base = new { revision = options.Base, commit = sides[0].Commit },
        head = new { revision = options.Head, commit = sides[1].Commit },
        options.Rounds,
        options.Seconds,
        options.Devices,
        options.Micro,
        regressed = Regressed,
        metrics = Rows.Select(static r => new
        {
            name = r.Name,
            @base = r.Base,
            head = r.Head,
            baseMedian = r.BaseMedian,
            headMedian = r.HeadMedian,
            ratio = r.Ratio,
            ratioMin = r.RatioMin,
            ratioMax = r.RatioMax,
            secondRunOverFirst = r.SecondRun,
            gate = r.Limit,
            regressed = r.Regressed,
        }),
    }, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
