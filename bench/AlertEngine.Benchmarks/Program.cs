using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/AlertEngine.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Convoy.AlertEngine.Benchmarks.ThresholdBenchmarks).Assembly).Run(args);
