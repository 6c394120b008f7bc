using System.Security.Cryptography;

namespace Lshk.Lsh.Index;

/// <summary>
/// Items to enrol: for each one its class name, its embedding (rows of <see cref="Embeddings"/>, N×D) and the
/// SHA-256 of its source file (32 bytes), which lets a later <c>--add</c> skip files that are already enrolled.
/// </summary>
public sealed class SupportItems
{
    public const int HashBytes = SHA256.HashSizeInBytes;

    public SupportItems(IReadOnlyList<string> classes, float[] embeddings, int dim, IReadOnlyList<byte[]> contentHashes)
    {
        Kernels.Check.Positive(dim, "dim");
        if (embeddings.Length != (long)classes.Count * dim)
            throw new ArgumentException($"{classes.Count} items need {(long)classes.Count * dim} embedding values, got {embeddings.Length}");
        if (contentHashes.Count != classes.Count)
            throw new ArgumentException($"{classes.Count} items but {contentHashes.Count} content hashes");
        foreach (var h in contentHashes)
            if (h.Length != HashBytes) throw new ArgumentException($"a content hash has {h.Length} bytes, expected {HashBytes}");
        foreach (var c in classes) SupportIndex.CheckClassName(c);
        Kernels.Check.Finite(embeddings, dim, "embeddings");
        Classes = classes;
        Embeddings = embeddings;
        Dim = dim;
        ContentHashes = contentHashes;
    }

    public IReadOnlyList<string> Classes { get; }
    public float[] Embeddings { get; }
    public int Dim { get; }
    public IReadOnlyList<byte[]> ContentHashes { get; }
    public int Count => Classes.Count;
}
