using Lshk.Kernels.Random;

namespace Lshk.Nn;

/// <summary>Seeded parameter initialisation from counter-based streams (independent of threads and devices).</summary>
public static class Initialisation
{
    /// <summary>count values uniform in [−bound, bound): value i comes from counter i of the stream.</summary>
    public static float[] Uniform(CounterRng stream, int count, double bound)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((stream.Uniform((ulong)i) * 2 - 1) * bound);
        return values;
    }
}
