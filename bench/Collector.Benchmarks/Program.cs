using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Collector.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Convoy.Collector.Benchmarks.BatchIngestBenchmarks).Assembly).Run(args);
