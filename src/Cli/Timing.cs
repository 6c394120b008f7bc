using System.Diagnostics;

namespace Lshk.Cli;

internal static class Timing
{
    /// <summary>The best wall time, in seconds, of running an action several times.</summary>
    public static double Best(Action action, int repeats)
    {
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }
}
