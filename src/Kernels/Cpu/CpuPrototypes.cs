namespace Lshk.Kernels.Cpu;

/// <summary>Class prototypes: majority-vote codes and mean embeddings.</summary>
internal static class CpuPrototypes
{
    public static void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes,
        Span<uint> result)
    {
        BackendChecks.MajorityCodes(codes, n, bits, labels, classes, result);
        int words = Check.Words(bits);

        var ones = new int[classes * bits];
        var members = new int[classes];
        for (int r = 0; r < n; r++)
        {
            int c = labels[r];
            members[c]++;
            var code = codes.Slice(r * words, words);
            for (int i = 0; i < bits; i++)
                ones[c * bits + i] += (int)(code[i >> 5] >> (i & 31)) & 1;
        }
        result.Clear();
        for (int c = 0; c < classes; c++)
        {
            if (members[c] == 0) continue;
            for (int i = 0; i < bits; i++)
                if (2 * ones[c * bits + i] >= members[c])
                    result[c * words + (i >> 5)] |= 1u << (i & 31);
        }
    }

    public static void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes,
        Span<float> result)
    {
        BackendChecks.ClassMeans(x, n, d, labels, classes, result);

        var members = new int[classes];
        result.Clear();
        for (int r = 0; r < n; r++)
        {
            var mean = result.Slice(labels[r] * d, d);
            System.Numerics.Tensors.TensorPrimitives.Add(mean, x.Slice(r * d, d), mean);
            members[labels[r]]++;
        }
        for (int c = 0; c < classes; c++)
            if (members[c] > 0)
            {
                var mean = result.Slice(c * d, d);
                System.Numerics.Tensors.TensorPrimitives.Divide(mean, members[c], mean);
            }
    }
}
