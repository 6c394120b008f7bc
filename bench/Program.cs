using BenchmarkDotNet.Running;

// Runs the kernel microbenchmarks: dotnet run -c Release --project bench -- --filter '*'
// The popcount ceiling (a bare loop, no BenchmarkDotNet): dotnet run -c Release --project bench -- ceiling
if (args is ["ceiling"]) Lshk.Bench.PopCountCeiling.Run();
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
