using System.Security.Cryptography;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Tests.Lsh;

/// <summary>Small seeded support sets and indexes for the index tests.</summary>
internal static class IndexTestData
{
    public const string Checksum = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    /// <summary>n items in the given classes (round robin), Gaussian embeddings shifted by +1 (ReLU-like, off-centre).</summary>
    public static SupportItems Items(int n, int dim, string[] classes, ulong seed)
    {
        float[] x = RandomArrays.Gaussian((long)n * dim, seed);
        for (int i = 0; i < x.Length; i++) x[i] += 1f;
        var names = Enumerable.Range(0, n).Select(i => classes[i % classes.Length]).ToArray();
        var hashes = Enumerable.Range(0, n).Select(i => SHA256.HashData(BitConverter.GetBytes(seed * 1000 + (ulong)i))).ToArray();
        return new SupportItems(names, x, dim, hashes);
    }

    public static SupportIndex Index(int n = 12, int dim = 16, int bits = 70, bool center = true, bool offsets = false,
        IHashFamily? family = null, string[]? classes = null, ulong seed = 5, EmbeddingViews? views = null)
    {
        using var backend = new CpuBackend();
        var planes = Hyperplanes.Generate(family ?? PlaneFamily.Gaussian, bits, dim, seed, offsets, range: 3);
        return SupportIndex.Create(backend, Checksum, planes, center, Items(n, dim, classes ?? ["alpha", "béta", "gamma"], seed + 1), views);
    }

    public static byte[] Bytes(SupportIndex index)
    {
        var stream = new MemoryStream();
        SupportIndexFile.Write(stream, index);
        return stream.ToArray();
    }

    /// <summary>Rewrites the trailing SHA-256 after an edit, so checks behind the checksum are reached.</summary>
    public static byte[] Resigned(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        SHA256.HashData(copy.AsSpan(0, copy.Length - 32)).CopyTo(copy, copy.Length - 32);
        return copy;
    }
}
