using System.Diagnostics;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Bench;

/// <summary>
/// Conv-4's convolutions at the training batch (600 images): the direct path, Winograd's F(2×2, 3×3), F(4×4, 3×3) and
/// F(7×7, 3×3) (on the maps whose side is a multiple of 7), interleaved call by call so all see the same machine
/// state; prints the median milliseconds of each. A bare
/// loop rather than BenchmarkDotNet, to compare the paths quickly while working on any of them.
/// Run: dotnet bench/bin/Release/net10.0/Lshk.Bench.dll conv [repeats]
/// </summary>
public static class ConvTiming
{
    private const int Batch = 600;
    private static readonly int[] Sizes = [28, 14, 7, 3];

    public static void Run(int repeats)
    {
        using var ops = new CpuNnOps();
        Console.WriteLine($"block  pass      direct ms   F(2×2) ms   F(4×4) ms   F(7×7) ms   F(2×2) ×   F(4×4) ×   F(7×7) ×   ({ops.Device.Name}, median of {repeats})");
        // (force direct, Winograd tile) per path
        (bool Direct, int Tile)[] paths = [(true, 0), (false, 2), (false, 4), (false, 7)];
        for (int block = 1; block < Sizes.Length; block++)
        {
            var s = new Conv2dShape(Batch, 64, Sizes[block], Sizes[block], 64);
            var x = Random(ops, s.InputLength, 1, 1f);
            var w = Random(ops, s.WeightLength, 2, 0.05f);
            var dy = Random(ops, s.OutputLength, 4, 0.01f);
            var y = ops.Allocate(s.OutputLength);
            var dx = ops.Allocate(s.InputLength);
            var dw = ops.Allocate(s.WeightLength);
            foreach (bool backward in new[] { false, true })
            {
                var times = paths.Select(_ => new List<double>()).ToArray();
                bool f7 = Sizes[block] % 7 == 0; // elsewhere F(7×7) mostly computes padding, and is never chosen
                for (int r = 0; r < repeats + 2; r++)
                    for (int path = 0; path < paths.Length; path++)
                    {
                        if (paths[path].Tile == 7 && !f7) continue;
                        ops.ForceDirectConv = paths[path].Direct;
                        ops.WinogradTile = paths[path].Tile;
                        long start = Stopwatch.GetTimestamp();
                        if (backward) ops.Conv2dBackward(s, x, w, dy, dx, dw, null);
                        else ops.Conv2dForward(s, x, w, null, y);
                        if (r >= 2) times[path].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                double direct = Median(times[0]), f2 = Median(times[1]), f4 = Median(times[2]);
                string f7Ms = f7 ? $"{Median(times[3]),10:F2}" : $"{"–",10}", f7Ratio = f7 ? $"{direct / Median(times[3]),8:F2}×" : $"{"–",9}";
                Console.WriteLine($"{block,5}  {(backward ? "backward" : "forward"),-8}  {direct,9:F2}  {f2,10:F2}  {f4,10:F2}  {f7Ms}  {direct / f2,8:F2}×  {direct / f4,8:F2}×  {f7Ratio}");
            }
            ops.ForceDirectConv = false;
            ops.WinogradTile = 0;
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static NnBuffer Random(CpuNnOps ops, int length, ulong stream, float scale)
    {
        var buffer = ops.Allocate(length);
        float[] values = RandomArrays.Gaussian(length, 7, stream);
        for (int i = 0; i < values.Length; i++) values[i] *= scale;
        buffer.CopyFrom(values);
        return buffer;
    }
}
