namespace Lshk.Nn.ModelFiles;

/// <summary>
/// Hash planes kept in a model file beside the network: <see cref="Weight"/> P×D (row i = plane i's normal, tensor
/// <c>hash.weight</c>) and <see cref="Bias"/> P (the offsets, <c>hash.bias</c>), in the layout of a linear layer
/// D→P. Nn stores them as plain arrays; what they mean (which family made them) is metadata the application reads.
/// </summary>
public sealed record StoredPlanes(int Count, int Dim, float[] Weight, float[] Bias)
{
    public const string WeightName = "hash.weight", BiasName = "hash.bias";

    /// <summary>Whether a tensor name belongs to the stored planes rather than the network.</summary>
    public static bool IsPlaneTensor(string name) => name is WeightName or BiasName;

    /// <summary>The two tensors.</summary>
    public IReadOnlyList<SafeTensor> Tensors() =>
    [
        SafeTensor.FromFloats(WeightName, [Count, Dim], Weight),
        SafeTensor.FromFloats(BiasName, [Count], Bias),
    ];

    /// <summary>
    /// The planes among a file's tensors: null when it has neither tensor (every model written before planes were
    /// stored); both, as F32 of shapes [P, dim] and [P], or an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static StoredPlanes? From(IReadOnlyList<SafeTensor> tensors, int dim, string source)
    {
        var weight = tensors.FirstOrDefault(t => t.Name == WeightName);
        var bias = tensors.FirstOrDefault(t => t.Name == BiasName);
        if (weight is null && bias is null) return null;
        if (weight is null || bias is null)
            throw new InvalidDataException($"{source}: has '{(weight ?? bias)!.Name}' without '{(weight is null ? WeightName : BiasName)}'");
        if (weight.Type != SafeTensorType.F32 || bias.Type != SafeTensorType.F32)
            throw new InvalidDataException($"{source}: the hash planes must be F32 tensors");
        if (weight.Shape.Length != 2 || weight.Shape[0] < 1 || weight.Shape[1] != dim || bias.Shape.Length != 1 || bias.Shape[0] != weight.Shape[0])
            throw new InvalidDataException($"{source}: hash planes of shapes [{string.Join(", ", weight.Shape)}] and [{string.Join(", ", bias.Shape)}] " +
                                           $"do not fit {dim}-dimensional embeddings (expected [P, {dim}] and [P])");
        float[] w = weight.ToFloats(), b = bias.ToFloats();
        if (w.Any(v => !float.IsFinite(v)) || b.Any(v => !float.IsFinite(v)))
            throw new InvalidDataException($"{source}: the hash planes hold NaN or infinite values");
        return new StoredPlanes((int)weight.Shape[0], dim, w, b);
    }
}
