using BenchmarkDotNet.Running;

// Runs the kernel microbenchmarks: dotnet run -c Release --project bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
