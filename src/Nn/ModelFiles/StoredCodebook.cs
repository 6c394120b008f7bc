namespace Lshk.Nn.ModelFiles;

/// <summary>
/// A product-quantiser codebook kept in a model file beside the network (written by <c>lshk fit-hash --hash pq|opq</c>):
/// <see cref="Centroids"/> M × 256 × (D/M) (tensor <c>codebook.centroids</c>), the training mean of the coded rows
/// <see cref="Mean"/> (<c>codebook.mean</c>) and, for opq, the D × D <see cref="Rotation"/> (<c>codebook.rotation</c>).
/// Nn stores them as plain arrays; which family made them is metadata the application reads.
/// </summary>
public sealed record StoredCodebook(int Subspaces, int Dim, float[] Centroids, float[] Mean, float[]? Rotation)
{
    public const string CentroidsName = "codebook.centroids", MeanName = "codebook.mean", RotationName = "codebook.rotation";

    /// <summary>Centroids per subspace (one byte's worth; Lshk.Kernels.ProductCodes.Centroids, which Nn does not reference).</summary>
    public const int CentroidsPerSubspace = 256;

    /// <summary>Whether a tensor name belongs to a stored codebook rather than the network.</summary>
    public static bool IsCodebookTensor(string name) => name is CentroidsName or MeanName or RotationName;

    public IReadOnlyList<SafeTensor> Tensors() =>
    [
        SafeTensor.FromFloats(CentroidsName, [Subspaces, CentroidsPerSubspace, Dim / Subspaces], Centroids),
        SafeTensor.FromFloats(MeanName, [Dim], Mean),
        .. Rotation is null ? Array.Empty<SafeTensor>() : [SafeTensor.FromFloats(RotationName, [Dim, Dim], Rotation)],
    ];

    /// <summary>
    /// The codebook among a file's tensors: null when it has none; centroids and mean as F32 of shapes
    /// [M, 256, dim/M] and [dim] (and a [dim, dim] rotation, if any), finite, or an <see cref="InvalidDataException"/>
    /// naming the file.
    /// </summary>
    public static StoredCodebook? From(IReadOnlyList<SafeTensor> tensors, int dim, string source)
    {
        var centroids = tensors.FirstOrDefault(t => t.Name == CentroidsName);
        var mean = tensors.FirstOrDefault(t => t.Name == MeanName);
        var rotation = tensors.FirstOrDefault(t => t.Name == RotationName);
        if (centroids is null && mean is null && rotation is null) return null;
        if (centroids is null || mean is null)
            throw new InvalidDataException($"{source}: has a partial codebook (it needs '{CentroidsName}' and '{MeanName}')");
        if (new[] { centroids, mean, rotation }.Any(t => t is not null && t.Type != SafeTensorType.F32))
            throw new InvalidDataException($"{source}: the codebook must be F32 tensors");
        var s = centroids.Shape;
        if (s.Length != 3 || s[0] < 1 || s[1] != CentroidsPerSubspace || s[0] * s[2] != dim || mean.Shape is not [var m] || m != dim
            || rotation is not null && (rotation.Shape.Length != 2 || rotation.Shape[0] != dim || rotation.Shape[1] != dim))
            throw new InvalidDataException($"{source}: a codebook of shapes [{string.Join(", ", s)}] and [{string.Join(", ", mean.Shape)}] " +
                                           $"does not fit {dim}-dimensional embeddings (expected [M, {CentroidsPerSubspace}, {dim}/M] and [{dim}])");
        float[] c = centroids.ToFloats(), mu = mean.ToFloats();
        float[]? r = rotation?.ToFloats();
        if (c.Any(v => !float.IsFinite(v)) || mu.Any(v => !float.IsFinite(v)) || r is not null && r.Any(v => !float.IsFinite(v)))
            throw new InvalidDataException($"{source}: the codebook holds NaN or infinite values");
        return new StoredCodebook((int)s[0], dim, c, mu, r);
    }
}
