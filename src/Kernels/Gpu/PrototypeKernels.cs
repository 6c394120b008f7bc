using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>Codes N × Words with labels in [0, Classes); Result is Classes × Words.</summary>
internal readonly record struct MajorityArgs(ArrayView<uint> Codes, ArrayView<int> Labels, ArrayView<uint> Result, int N,
    int Bits, int Classes);

/// <summary>x is N × D with labels in [0, Classes); Result is Classes × D.</summary>
internal readonly record struct ClassMeanArgs(ArrayView<float> X, ArrayView<int> Labels, ArrayView<float> Result, int N, int D,
    int Classes);

/// <summary>Class prototypes: majority-vote codes and mean embeddings.</summary>
internal static class PrototypeKernels
{
    /// <summary>
    /// One warp per (class, word), warp-stride; lane b votes on bit word*32 + b: it counts the class's members and
    /// their ones in that bit (all lanes read the same code word), sets its bit iff 2·ones ≥ members > 0, and a
    /// ShuffleXor butterfly ORs the 32 single-bit words together.
    /// </summary>
    [GpuKernel]
    public static void MajorityCodes(MajorityArgs a)
    {
        int lane = Warp.LaneIdx;
        int words = (a.Bits + 31) >> 5;
        int tasks = a.Classes * words;
        for (int task = Threads.GlobalWarp; task < tasks; task += Threads.TotalWarps)
        {
            int c = task / words;
            int w = task - c * words;
            int ones = 0, members = 0;
            for (int r = 0; r < a.N; r++)
            {
                if (a.Labels[r] != c) continue;
                members++;
                ones += (int)((a.Codes[(long)r * words + w] >> lane) & 1u);
            }
            bool set = w * 32 + lane < a.Bits && members > 0 && 2 * ones >= members;
            uint word = set ? 1u << lane : 0u;
            for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
                word |= Warp.ShuffleXor(word, mask);
            if (lane == 0) a.Result[task] = word;
        }
    }

    /// <summary>
    /// One thread per (class, dimension), grid-stride: the sum of the class's rows in increasing row order divided
    /// by the member count (the CPU's order of operations); an empty class gets 0.
    /// </summary>
    [GpuKernel]
    public static void ClassMeans(ClassMeanArgs a)
    {
        long total = (long)a.Classes * a.D;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = (int)(t / a.D);
            int j = (int)(t - (long)c * a.D);
            float sum = 0f;
            int members = 0;
            for (int r = 0; r < a.N; r++)
            {
                if (a.Labels[r] != c) continue;
                sum += a.X[(long)r * a.D + j];
                members++;
            }
            a.Result[t] = members > 0 ? sum / members : 0f;
        }
    }
}
