namespace Lshk.Kernels.Nn;

/// <summary>
/// Argument checks shared by both implementations of <see cref="INnOps"/> (called from <see cref="CheckedNnOps"/>), so
/// both raise the same one-line errors.
/// </summary>
internal static class NnChecks
{
    // a backward takes no momentum or epsilon (it uses the saved statistics): valid stand-ins pass the range checks
    private const float BackwardMomentum = 0f;
    private const float BackwardEpsilon = 1f;

    internal static void ValidateBatchNorm(in Nchw shape, in BatchNormBuffers bn, float momentum, float epsilon, bool training)
    {
        shape.Validate();
        bn.Validate(shape.Channels);
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentException($"batch norm momentum must be in [0, 1] (got {momentum})");
        if (!(epsilon > 0f)) throw new ArgumentException($"batch norm epsilon must be positive (got {epsilon})");
        if (training && (long)shape.Batch * shape.Plane < 2)
            throw new ArgumentException($"batch norm in training mode needs more than 1 value per channel (input {shape})");
    }

    /// <summary>The backward passes use the statistics saved by a training forward, so they check as training mode.</summary>
    internal static void ValidateBatchNormBackward(in Nchw shape, in BatchNormBuffers bn) =>
        ValidateBatchNorm(shape, bn, BackwardMomentum, BackwardEpsilon, training: true);

    /// <summary>What the fused batch norm → ReLU → pool backward needs besides its input and input gradient.</summary>
    internal static void ValidateBatchNormReluPoolBackward(in Nchw inputShape, in BatchNormBuffers bn, NnBuffer dPooled)
    {
        ValidateBatchNormBackward(inputShape, bn);
        ValidatePool(inputShape);
        Expect(dPooled, inputShape.Pooled.Length, "pooled output gradient");
    }

    internal static void BatchNormForward(in Nchw shape, NnBuffer x, NnBuffer y)
    {
        Expect(x, shape.Length, "batch norm input");
        Expect(y, shape.Length, "batch norm output");
    }

    internal static void ConvForward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer y)
    {
        shape.Validate();
        Expect(x, shape.InputLength, "conv input");
        Expect(weight, shape.WeightLength, "conv weight");
        if (bias is not null) Expect(bias, shape.OutChannels, "conv bias");
        Expect(y, shape.OutputLength, "conv output");
    }

    /// <summary>The convolution side of a backward: its inputs and the gradients it writes (each optional).</summary>
    internal static void ConvBackward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? dx, NnBuffer? dWeight,
        NnBuffer? dBias)
    {
        shape.Validate();
        Expect(x, shape.InputLength, "conv input");
        Expect(weight, shape.WeightLength, "conv weight");
        if (dx is not null) Expect(dx, shape.InputLength, "conv input gradient");
        if (dWeight is not null) Expect(dWeight, shape.WeightLength, "conv weight gradient");
        if (dBias is not null) Expect(dBias, shape.OutChannels, "conv bias gradient");
    }

    internal static void ValidatePool(in Nchw inputShape)
    {
        inputShape.Validate();
        if (inputShape.Height < 2 || inputShape.Width < 2)
            throw new ArgumentException($"2×2 max-pooling needs an input of at least 2×2 (got {inputShape})");
    }

    internal static void CheckScale(float scale)
    {
        if (!(float.IsFinite(scale) && scale > 0f)) throw new ArgumentException($"cosine loss scale must be positive and finite (got {scale})");
    }

    internal static void Expect(NnBuffer buffer, long length, string name)
    {
        if (buffer.Length != length) throw new ArgumentException($"{name} has {buffer.Length} values, expected {length}");
    }

    internal static void ExpectAtLeast(NnBuffer buffer, long length, string name)
    {
        if (length < 0 || buffer.Length < length)
            throw new ArgumentException($"{name} has {buffer.Length} values, at least {length} needed");
    }

    /// <summary>The checks every episode loss makes, on both backends: a valid episode and buffers of its size.</summary>
    internal static void ValidateEpisodeLoss(NnBuffer embeddings, in EpisodeShape episode, NnBuffer dEmbeddings)
    {
        episode.Validate();
        Expect(embeddings, episode.Batch * episode.Dim, "embeddings");
        Expect(dEmbeddings, episode.Batch * episode.Dim, "embedding gradient");
    }
}
