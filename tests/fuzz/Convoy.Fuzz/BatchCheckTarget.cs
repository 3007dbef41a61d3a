using Convoy.Contracts.Telemetry;

namespace Convoy.Fuzz;

/// <summary>
/// The content check of telemetry.proto's rules (<see cref="BatchCheck"/>), as the collector's
/// validator runs it on every batch (and the edge agent before its buffer), with the collector's
/// default skew and age. Promises: a refusal has one of the documented reasons and a message; a
/// batch it accepts holds readings, exactly as many as its columns have.
/// </summary>
internal sealed class BatchCheckTarget : IFuzzTarget
{
    private readonly BatchCheck _check = new(BatchCheck.DefaultMaxClockSkew, BatchCheck.DefaultMaxBatchAge, "the collector's clock");

    public string Name => "batch-check";

    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        var result = _check.Check(input, FuzzTargets.NowUnixMs);
        if (!result.IsValid)
        {
            if (result.Reason is null || !BatchProblems.All.Contains(result.Reason))
            {
                return FuzzOutcome.Breaks("refused", $"refused for an undocumented reason '{result.Reason}': {result.Problem}");
            }

            return string.IsNullOrWhiteSpace(result.Problem) || result.Readings != 0
                ? FuzzOutcome.Breaks(result.Reason, $"refused ({result.Reason}) with the message '{result.Problem}' and {result.Readings} readings")
                : new FuzzOutcome(result.Reason, 0);
        }

        if (!BatchView.TryRead(input, out var batch, out _))
        {
            return FuzzOutcome.Breaks("valid", "accepted a batch BatchView cannot read");
        }

        int columns = batch.HasGps ? batch.Gps.OffsetMs.Length : 0;
        columns += batch.HasFuel ? batch.Fuel.OffsetMs.Length : 0;
        foreach (var temperatures in batch.Temperatures)
        {
            columns += temperatures.OffsetMs.Length;
        }

        foreach (var scalars in batch.Scalars)
        {
            columns += scalars.OffsetMs.Length;
        }

        return result.Readings <= 0 || result.Readings != columns
            ? FuzzOutcome.Breaks("valid", $"accepted with {result.Readings} readings while its columns hold {columns}")
            : new FuzzOutcome("valid", result.Readings);
    }
}
