#:project ../TestKit/Convoy.TestKit.csproj
// Writes the batch seeds of the batch-reader and batch-check targets (tests/fuzz/corpus), built
// with the test kit's BatchBuilder: real encoded batches as a device and a partner send them,
// timed a minute before the targets' fixed clock, and a few with one defect each so that the
// fuzzer starts next to every refusal. Run from the repository root: dotnet run tests/fuzz/batch-seeds.cs
using Convoy.Contracts.Telemetry.V1;
using Convoy.TestKit;
using Google.Protobuf;

const long Now = 1_795_435_200_000; // FuzzTargets.NowUnixMs, 2026-11-23 12:00 UTC
long start = Now - 60_000;
var seeds = new Dictionary<string, TelemetryBatch>
{
    ["reefer-truck"] = BatchBuilder.For("truck-17", sequence: 42).StartingAt(start)
        .Gps(4, i => 80f + i, i => (52.37 + (i * 0.001), 4.89), i => 90f)
        .Temperatures(zone: 1, count: 4, i => -18.5f + (i * 0.1f))
        .Temperatures(zone: 2, count: 3, i => 3.5f)
        .Fuel(3, i => 75.5f - i, tankCapacityLitres: 600f)
        .Scalar(ScalarKind.ReeferDoorOpen, 2, i => i)
        .Scalar(ScalarKind.Custom, 2, i => 12.5f, name: "compressor.current"),
    ["partner-upload"] = BatchBuilder.For("truck-3", sequence: 7).StartingAt(start).OfTenant("acme")
        .Every(TimeSpan.FromMinutes(1)).Scalar(ScalarKind.EngineRpm, 1, _ => 1500f),
    ["aggregated-windows"] = BatchBuilder.For("truck-9", sequence: 2).StartingAt(start)
        .Temperatures(zone: 1, count: 1, _ => -20f)
        .With(b => b.Temperatures[0].Windows = new WindowColumns
        {
            StartUnixMs = { start }, LengthMs = { 60_000 }, Count = { 60 }, Min = { -21f }, Max = { -19f }, Mean = { -20f }, Last = { -20f },
        }),
    ["gps-only"] = BatchBuilder.For("truck-1", sequence: 1).StartingAt(start).Gps(2, _ => 0f),
    ["defect-heading-360"] = BatchBuilder.For("truck-1", sequence: 5).StartingAt(start).Gps(1, _ => 50f, headingDeg: _ => 360f),
    ["defect-unequal-columns"] = BatchBuilder.For("truck-1", sequence: 6).StartingAt(start)
        .Temperatures(zone: 1, count: 2, _ => 4f).With(b => b.Temperatures[0].TemperatureC.RemoveAt(1)),
    ["defect-duplicate-zone"] = BatchBuilder.For("truck-1", sequence: 8).StartingAt(start)
        .Temperatures(zone: 1, count: 1, _ => 4f).Temperatures(zone: 1, count: 1, _ => 5f),
    ["defect-empty"] = BatchBuilder.For("truck-1", sequence: 9).StartingAt(start),
};

foreach (string target in new[] { "batch-reader", "batch-check" })
{
    string folder = Path.Combine("tests", "fuzz", "corpus", target);
    Directory.CreateDirectory(folder);
    foreach (var (name, batch) in seeds)
    {
        File.WriteAllBytes(Path.Combine(folder, $"seed-{name}.pb"), batch.ToByteArray());
    }
}
