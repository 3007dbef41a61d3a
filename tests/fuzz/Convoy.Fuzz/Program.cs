using Convoy.Fuzz;
using SharpFuzz;

// Convoy.Fuzz TARGET: runs one parser under afl-fuzz (tests/fuzz/run.sh), in persistent mode;
// without afl-fuzz it runs the target once on standard input, which replays a crash:
//   dotnet Convoy.Fuzz.dll nmea < tests/fuzz/corpus/nmea/crash-...
if (args.Length != 1 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Convoy.Fuzz TARGET, one of: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}

IFuzzTarget? target = null;
Fuzzer.Run(stream =>
{
    target ??= FuzzTargets.Create(args[0]); // inside the loop: see FuzzTargets.Create
    using var input = new MemoryStream();
    stream.CopyTo(input);
    var outcome = target.Run(input.GetBuffer().AsSpan(0, (int)input.Length));
    if (outcome.Broken is { } broken)
    {
        throw new BrokenPromiseException($"{target.Name}: {broken}");
    }
});
return 0;
