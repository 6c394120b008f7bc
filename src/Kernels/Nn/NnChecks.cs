namespace Lshk.Kernels.Nn;

/// <summary>Argument checks shared by both implementations of <see cref="INnOps"/>, so both raise the same one-line errors.</summary>
internal static class NnChecks
{
    internal static void ValidateBatchNorm(in Nchw shape, in BatchNormBuffers bn, float momentum, float epsilon, bool training)
    {
        shape.Validate();
        bn.Validate(shape.Channels);
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentException($"batch norm momentum must be in [0, 1] (got {momentum})");
        if (!(epsilon > 0f)) throw new ArgumentException($"batch norm epsilon must be positive (got {epsilon})");
        if (training && (long)shape.Batch * shape.Plane < 2)
            throw new ArgumentException($"batch norm in training mode needs more than 1 value per channel (input {shape})");
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
