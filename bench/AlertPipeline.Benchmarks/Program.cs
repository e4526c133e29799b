using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/AlertPipeline.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
