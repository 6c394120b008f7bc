using BenchmarkDotNet.Running;

// Runs the kernel microbenchmarks: dotnet run -c Release --project bench -- --filter '*'
// The popcount ceiling (a bare loop, no BenchmarkDotNet): dotnet run -c Release --project bench -- ceiling
// Winograd against the direct convolution, interleaved (a bare loop): ... -- conv [repeats]
if (args is ["ceiling"]) Lshk.Bench.PopCountCeiling.Run();
else if (args is ["conv", ..]) Lshk.Bench.ConvTiming.Run(args.Length > 1 ? int.Parse(args[1]) : 9);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
