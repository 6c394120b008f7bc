namespace Lshk.Kernels;

/// <summary>
/// The layout of product-quantiser codes (<see cref="IComputeBackend.QuantizeProducts"/>,
/// <see cref="IComputeBackend.ProductCodeTopK"/>): an embedding of D floats is split into M subspaces, runs of D/M
/// consecutive floats; each run is coded by one byte, the index of its nearest centroid among
/// <see cref="Centroids"/>. A code of M bytes is packed four bytes to a 32-bit word, byte j in bits 8·(j mod 4) of
/// word j/4, so a P-bit code (P = 8·M) takes the same ⌈P/32⌉ words as a P-bit hash code. Centroids are M × 256 ×
/// (D/M) floats, row-major: centroid c of subspace j starts at (j·256 + c)·D/M.
/// CPU form: <see cref="Cpu.CpuProductCodes"/>; GPU kernels: <c>Gpu.ProductCodeKernels</c>; float64 reference:
/// tests/Reference/ProductCodeReference.cs.
/// </summary>
public static class ProductCodes
{
    /// <summary>Centroids per subspace: one byte's worth.</summary>
    public const int Centroids = 256;

    /// <summary>Bits of code per subspace.</summary>
    public const int BitsPerSubspace = 8;

    /// <summary>Subspace bytes packed into one 32-bit word.</summary>
    public const int SubspacesPerWord = 4;

    /// <summary>32-bit words of a code of <paramref name="subspaces"/> bytes.</summary>
    public static int Words(int subspaces) => (subspaces + SubspacesPerWord - 1) / SubspacesPerWord;

    /// <summary>Byte <paramref name="subspace"/> of the code starting at <paramref name="code"/>[0].</summary>
    public static int Byte(ReadOnlySpan<uint> code, int subspace) => (int)((code[subspace >> 2] >> ((subspace & 3) << 3)) & 0xFF);
}
