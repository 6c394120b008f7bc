namespace Lshk.Kernels.Nn;

/// <summary>
/// The one place where every <see cref="INnOps"/> operation checks its arguments, for both implementations: each
/// public method validates shapes and buffer sizes (through <see cref="NnChecks"/>) and then calls its
/// <c>…Core</c> counterpart, which <see cref="Cpu.CpuNnOps"/> and <see cref="Gpu.IlgpuNnOps"/> implement as pure
/// compute. So both backends accept and reject exactly the same calls with the same one-line errors.
/// </summary>
public abstract class CheckedNnOps : INnOps
{
    public abstract DeviceInfo Device { get; }

    public NnBuffer Allocate(int length)
    {
        Check.NonNegative(length, nameof(length));
        return AllocateCore(length);
    }

    public void Fill(NnBuffer buffer, float value) => FillCore(buffer, value);

    // ------------------------------------------------------------------ convolution

    public void Conv2dForward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer y)
    {
        NnChecks.ConvForward(shape, x, weight, bias, y);
        Conv2dForwardCore(shape, x, weight, bias, y);
    }

    public void Conv2dBackward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy, NnBuffer? dx, NnBuffer? dWeight,
        NnBuffer? dBias)
    {
        NnChecks.ConvBackward(shape, x, weight, dx, dWeight, dBias);
        NnChecks.Expect(dy, shape.OutputLength, "conv output gradient");
        Conv2dBackwardCore(shape, x, weight, dy, dx, dWeight, dBias);
    }

    // ------------------------------------------------------------------ batch norm

    public void BatchNormTrainingForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float momentum,
        float epsilon)
    {
        NnChecks.ValidateBatchNorm(shape, bn, momentum, epsilon, training: true);
        NnChecks.BatchNormForward(shape, x, y);
        BatchNormTrainingForwardCore(shape, x, y, bn, momentum, epsilon);
    }

    public void BatchNormInferenceForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float epsilon)
    {
        NnChecks.ValidateBatchNorm(shape, bn, 0f, epsilon, training: false);
        NnChecks.BatchNormForward(shape, x, y);
        BatchNormInferenceForwardCore(shape, x, y, bn, epsilon);
    }

    public void BatchNormBackward(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx, in BatchNormBuffers bn)
    {
        NnChecks.ValidateBatchNormBackward(shape, bn);
        NnChecks.Expect(x, shape.Length, "batch norm input");
        NnChecks.Expect(dy, shape.Length, "batch norm output gradient");
        NnChecks.Expect(dx, shape.Length, "batch norm input gradient");
        BatchNormBackwardCore(shape, x, dy, dx, bn);
    }

    // ------------------------------------------------------------------ activations, pooling, dropout

    public void ReluForward(NnBuffer x, NnBuffer y, int count)
    {
        NnChecks.ExpectAtLeast(x, count, "ReLU input");
        NnChecks.ExpectAtLeast(y, count, "ReLU output");
        ReluForwardCore(x, y, count);
    }

    public void ReluBackward(NnBuffer y, NnBuffer dy, NnBuffer dx, int count)
    {
        NnChecks.ExpectAtLeast(y, count, "ReLU output");
        NnChecks.ExpectAtLeast(dy, count, "ReLU output gradient");
        NnChecks.ExpectAtLeast(dx, count, "ReLU input gradient");
        ReluBackwardCore(y, dy, dx, count);
    }

    public void MaxPool2x2Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        NnChecks.ValidatePool(inputShape);
        NnChecks.Expect(x, inputShape.Length, "max-pool input");
        NnChecks.Expect(y, inputShape.Pooled.Length, "max-pool output");
        MaxPool2x2ForwardCore(inputShape, x, y);
    }

    public void MaxPool2x2Backward(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx)
    {
        NnChecks.ValidatePool(inputShape);
        NnChecks.Expect(x, inputShape.Length, "max-pool input");
        NnChecks.Expect(dy, inputShape.Pooled.Length, "max-pool output gradient");
        NnChecks.Expect(dx, inputShape.Length, "max-pool input gradient");
        MaxPool2x2BackwardCore(inputShape, x, dy, dx);
    }

    public void DropoutForward(NnBuffer x, NnBuffer y, int count, in DropoutMask mask)
    {
        NnChecks.ExpectAtLeast(x, count, "dropout input");
        NnChecks.ExpectAtLeast(y, count, "dropout output");
        DropoutCore(x, y, count, mask);
    }

    public void DropoutBackward(NnBuffer dy, NnBuffer dx, int count, in DropoutMask mask)
    {
        NnChecks.ExpectAtLeast(dy, count, "dropout output gradient");
        NnChecks.ExpectAtLeast(dx, count, "dropout input gradient");
        // inverted dropout is linear: its backward applies the same mask and scale to the gradient
        DropoutCore(dy, dx, count, mask);
    }

    // ------------------------------------------------------------------ fused batch norm + ReLU + 2×2 max-pool

    public void BatchNormReluPoolForward(in Nchw inputShape, NnBuffer x, NnBuffer pooled, in BatchNormBuffers bn, bool training,
        float momentum, float epsilon)
    {
        NnChecks.ValidateBatchNorm(inputShape, bn, momentum, epsilon, training);
        NnChecks.ValidatePool(inputShape);
        NnChecks.Expect(x, inputShape.Length, "batch norm input");
        NnChecks.Expect(pooled, inputShape.Pooled.Length, "pooled output");
        BatchNormReluPoolForwardCore(inputShape, x, pooled, bn, training, momentum, epsilon);
    }

    public void BatchNormReluPoolBackward(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx, in BatchNormBuffers bn)
    {
        NnChecks.ValidateBatchNormReluPoolBackward(inputShape, bn, dPooled);
        NnChecks.Expect(x, inputShape.Length, "batch norm input");
        NnChecks.Expect(dx, inputShape.Length, "batch norm input gradient");
        BatchNormReluPoolBackwardCore(inputShape, x, dPooled, dx, bn);
    }

    // ------------------------------------------------------------------ fused conv block

    public void ConvBlockForward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer pooled, in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        NnChecks.ConvForward(conv, x, weight, bias, convOut);
        NnChecks.ValidateBatchNorm(conv.Output, bn, momentum, epsilon, training);
        NnChecks.ValidatePool(conv.Output);
        NnChecks.Expect(pooled, conv.Output.Pooled.Length, "pooled output");
        ConvBlockForwardCore(conv, x, weight, bias, convOut, pooled, bn, training, momentum, epsilon);
    }

    public void ConvBlockBackward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer dPooled, NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn)
    {
        NnChecks.ConvBackward(conv, x, weight, dx, dWeight, dBias);
        if (bias is not null) NnChecks.Expect(bias, conv.OutChannels, "conv bias");
        NnChecks.ValidateBatchNormReluPoolBackward(conv.Output, bn, dPooled);
        NnChecks.Expect(convOut, conv.OutputLength, "conv output");
        ConvBlockBackwardCore(conv, x, weight, bias, convOut, dPooled, dx, dWeight, dBias, bn);
    }

    // ------------------------------------------------------------------ optimisers

    public void AdamUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment, NnBuffer secondMoment, int count,
        in AdamStep step)
    {
        step.Validate();
        NnChecks.ExpectAtLeast(parameter, count, "parameter");
        NnChecks.ExpectAtLeast(gradient, count, "gradient");
        NnChecks.ExpectAtLeast(firstMoment, count, "Adam first moment");
        NnChecks.ExpectAtLeast(secondMoment, count, "Adam second moment");
        AdamUpdateCore(parameter, gradient, firstMoment, secondMoment, count, step);
    }

    public void SgdUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count, in SgdStep step)
    {
        step.Validate();
        NnChecks.ExpectAtLeast(parameter, count, "parameter");
        NnChecks.ExpectAtLeast(gradient, count, "gradient");
        NnChecks.ExpectAtLeast(velocity, count, "SGD velocity");
        SgdUpdateCore(parameter, gradient, velocity, count, step);
    }

    // ------------------------------------------------------------------ losses

    public (float Loss, float Accuracy) PrototypicalLoss(NnBuffer embeddings, in EpisodeShape episode, NnBuffer dEmbeddings)
    {
        NnChecks.ValidateEpisodeLoss(embeddings, episode, dEmbeddings);
        return PrototypicalLossCore(embeddings, episode, dEmbeddings);
    }

    public (float Loss, float Accuracy) MatchingLoss(NnBuffer embeddings, in EpisodeShape episode, float scale,
        NnBuffer dEmbeddings) =>
        CosineLoss(embeddings, episode, CosineLossMode.Matching, scale, dEmbeddings);

    public (float Loss, float Accuracy) CosineMeanLoss(NnBuffer embeddings, in EpisodeShape episode, float scale,
        NnBuffer dEmbeddings, float margin = 0f) =>
        CosineLoss(embeddings, episode, CosineLossMode.CosineMean, scale, dEmbeddings, margin);

    private (float Loss, float Accuracy) CosineLoss(NnBuffer embeddings, in EpisodeShape episode, CosineLossMode mode,
        float scale, NnBuffer dEmbeddings, float margin = 0f)
    {
        NnChecks.ValidateEpisodeLoss(embeddings, episode, dEmbeddings);
        NnChecks.CheckScale(scale);
        if (!(margin >= 0f && float.IsFinite(margin))) throw new ArgumentException($"the cosine margin must be a non-negative number (got {margin})", nameof(margin));
        return CosineLossCore(embeddings, episode, mode, scale, dEmbeddings, margin);
    }

    public abstract void Dispose();

    // ------------------------------------------------------------------ the compute, arguments already checked

    private protected abstract NnBuffer AllocateCore(int length);
    private protected abstract void FillCore(NnBuffer buffer, float value);
    private protected abstract void Conv2dForwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer y);

    private protected abstract void Conv2dBackwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy,
        NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias);

    private protected abstract void BatchNormTrainingForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float momentum, float epsilon);

    private protected abstract void BatchNormInferenceForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float epsilon);

    private protected abstract void BatchNormBackwardCore(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx,
        in BatchNormBuffers bn);
    private protected abstract void ReluForwardCore(NnBuffer x, NnBuffer y, int count);
    private protected abstract void ReluBackwardCore(NnBuffer y, NnBuffer dy, NnBuffer dx, int count);
    private protected abstract void MaxPool2x2ForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer y);
    private protected abstract void MaxPool2x2BackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx);

    /// <summary>y = x·scale where the mask keeps, else 0 (the forward and, applied to gradients, the backward).</summary>
    private protected abstract void DropoutCore(NnBuffer x, NnBuffer y, int count, in DropoutMask mask);

    private protected abstract void BatchNormReluPoolForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer pooled,
        in BatchNormBuffers bn, bool training, float momentum, float epsilon);

    private protected abstract void BatchNormReluPoolBackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx,
        in BatchNormBuffers bn);

    private protected abstract void ConvBlockForwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer convOut, NnBuffer pooled, in BatchNormBuffers bn, bool training, float momentum, float epsilon);

    private protected abstract void ConvBlockBackwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer dPooled, NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn);

    private protected abstract void AdamUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment,
        NnBuffer secondMoment, int count, in AdamStep step);

    private protected abstract void SgdUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count,
        in SgdStep step);

    private protected abstract (float Loss, float Accuracy) PrototypicalLossCore(NnBuffer embeddings, in EpisodeShape episode,
        NnBuffer dEmbeddings);

    private protected abstract (float Loss, float Accuracy) CosineLossCore(NnBuffer embeddings, in EpisodeShape episode,
        CosineLossMode mode, float scale, NnBuffer dEmbeddings, float margin);
}
