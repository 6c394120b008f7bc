using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>Inputs of both projection kernels: x is N×D, planes P×D, offsets P (zeros when none were given).</summary>
internal readonly record struct ProjectionArgs(ArrayView<float> X, ArrayView<float> Planes, ArrayView<float> Offsets, int N,
    int D, int P);

/// <summary>Projection onto hyperplanes, and projection + sign + bit packing.</summary>
internal static class ProjectionKernels
{
    /// <summary>
    /// dot(planes[plane], x[item]) + offsets[plane], summed over d in increasing order with a separately rounded
    /// multiply and add: the float the CPU backend and the scalar reference compute.
    /// </summary>
    private static float Projection(ProjectionArgs a, int item, int plane)
    {
        long xRow = (long)item * a.D, planeRow = (long)plane * a.D;
        float acc = 0f;
        for (int j = 0; j < a.D; j++)
        {
            float product = ExactMath.Mul(a.X[xRow + j], a.Planes[planeRow + j]);
            acc = ExactMath.Add(acc, product);
        }
        return ExactMath.Add(acc, a.Offsets[plane]);
    }

    /// <summary>One thread per (item, plane), grid-stride: projections[item*P + plane].</summary>
    [GpuKernel]
    public static void Project(ProjectionArgs a, ArrayView<float> projections)
    {
        long total = (long)a.N * a.P;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int item = (int)(t / a.P);
            int plane = (int)(t - (long)item * a.P);
            projections[t] = Projection(a, item, plane);
        }
    }

    /// <summary>
    /// One thread per (item, 32-plane word), grid-stride: the thread computes the word's up to 32 projections and
    /// packs their signs LSB-first (plane word*32 + b → bit b), so no two threads write the same word.
    /// Bits for planes ≥ P stay 0.
    /// </summary>
    [GpuKernel]
    public static void ProjectPack(ProjectionArgs a, ArrayView<uint> codes)
    {
        int words = (a.P + 31) >> 5;
        long total = (long)a.N * words;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int item = (int)(t / words);
            int first = (int)(t - (long)item * words) * 32;
            int count = a.P - first < 32 ? a.P - first : 32;
            uint bits = 0;
            for (int b = 0; b < count; b++)
                if (Projection(a, item, first + b) >= 0f)
                    bits |= 1u << b;
            codes[t] = bits;
        }
    }
}
