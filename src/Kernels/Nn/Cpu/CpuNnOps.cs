using static Lshk.Kernels.Nn.NnChecks;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The CPU implementation of <see cref="INnOps"/>: managed SIMD (Vector512 fused multiply-add) over a fixed pool of
/// worker threads (one per core by default), working on pinned buffers through pointers. Steady-state calls allocate
/// nothing: scratch space grows once and is reused.
/// </summary>
public sealed unsafe class CpuNnOps : INnOps
{
    private readonly WorkerPool _pool;
    private readonly CpuConv2d _conv;
    private readonly CpuBatchNorm _bn;
    private readonly CpuBatchNormReluPool _bnReluPool;
    private readonly CpuElementwise _elementwise;
    private readonly CpuMaxPool _maxPool;
    private readonly CpuPrototypicalLoss _loss = new();
    private readonly CpuCosineLoss _cosineLoss = new();
    private readonly PinnedScratch<float> _statsShift = new();
    private readonly PinnedScratch<double> _stats = new();
    private readonly CpuConv2d.ImageProducer _convBlockGradient;
    private bool _disposed;

    /// <summary>Operations on <paramref name="threads"/> worker threads (default: one per logical processor).</summary>
    public CpuNnOps(int threads = 0)
    {
        _pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
        _conv = new CpuConv2d(_pool);
        _bn = new CpuBatchNorm(_pool);
        _bnReluPool = new CpuBatchNormReluPool(_pool, _bn);
        _elementwise = new CpuElementwise(_pool);
        _maxPool = new CpuMaxPool(_pool);
        _convBlockGradient = (n, worker, destination) => _bnReluPool.BackwardImageInto(n, destination);
        var info = global::Lshk.Kernels.Cpu.CpuBackend.Describe();
        string simd = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512" : "no AVX-512";
        Device = info with { Name = $"CPU ({_pool.Workers} threads, {simd})" };
    }

    public DeviceInfo Device { get; }

    public int Threads => _pool.Workers;

    /// <summary>For tests: run stride-1 convolutions through the explicit im2col path.</summary>
    internal bool ForceIm2col
    {
        get => _conv.ForceGeneric;
        set => _conv.ForceGeneric = value;
    }

    public NnBuffer Allocate(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new CpuNnBuffer(length);
    }

    public void Fill(NnBuffer buffer, float value) => new Span<float>(Ptr(buffer), buffer.Length).Fill(value);

    // ------------------------------------------------------------------ convolution

    public void Conv2dForward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer y)
    {
        shape.Validate();
        Expect(x, shape.InputLength, "conv input");
        Expect(weight, shape.WeightLength, "conv weight");
        if (bias is not null) Expect(bias, shape.OutChannels, "conv bias");
        Expect(y, shape.OutputLength, "conv output");
        _conv.Forward(shape, Ptr(x), Ptr(weight), bias is null ? null : Ptr(bias), Ptr(y));
    }

    public void Conv2dBackward(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy, NnBuffer? dx,
        NnBuffer? dWeight, NnBuffer? dBias)
    {
        shape.Validate();
        Expect(x, shape.InputLength, "conv input");
        Expect(weight, shape.WeightLength, "conv weight");
        Expect(dy, shape.OutputLength, "conv output gradient");
        if (dx is not null) Expect(dx, shape.InputLength, "conv input gradient");
        if (dWeight is not null) Expect(dWeight, shape.WeightLength, "conv weight gradient");
        if (dBias is not null) Expect(dBias, shape.OutChannels, "conv bias gradient");
        _conv.Backward(shape, Ptr(x), Ptr(weight), Ptr(dy), dx is null ? null : Ptr(dx),
            dWeight is null ? null : Ptr(dWeight), dBias is null ? null : Ptr(dBias));
    }

    // ------------------------------------------------------------------ batch norm

    public void BatchNormTrainingForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float momentum,
        float epsilon)
    {
        ValidateBatchNorm(shape, bn, momentum, epsilon, training: true);
        Expect(x, shape.Length, "batch norm input");
        Expect(y, shape.Length, "batch norm output");
        _bn.Statistics(shape, Ptr(x), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd), Ptr(bn.RunningMean), Ptr(bn.RunningVar),
            momentum, epsilon);
        _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        _bn.Apply(shape, Ptr(x), Ptr(y));
    }

    public void BatchNormInferenceForward(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn, float epsilon)
    {
        ValidateBatchNorm(shape, bn, 0f, epsilon, training: false);
        Expect(x, shape.Length, "batch norm input");
        Expect(y, shape.Length, "batch norm output");
        _bn.InferenceScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.RunningMean), Ptr(bn.RunningVar), epsilon);
        _bn.Apply(shape, Ptr(x), Ptr(y));
    }

    public void BatchNormBackward(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx, in BatchNormBuffers bn)
    {
        ValidateBatchNorm(shape, bn, 0f, 1f, training: true);
        Expect(x, shape.Length, "batch norm input");
        Expect(dy, shape.Length, "batch norm output gradient");
        Expect(dx, shape.Length, "batch norm input gradient");
        _bn.Backward(shape, Ptr(x), Ptr(dy), Ptr(dx), Ptr(bn.Weight), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd),
            Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
    }

    // ------------------------------------------------------------------ activations, pooling, dropout

    public void ReluForward(NnBuffer x, NnBuffer y, int count)
    {
        ExpectAtLeast(x, count, "ReLU input");
        ExpectAtLeast(y, count, "ReLU output");
        _elementwise.ReluForward(Ptr(x), Ptr(y), count);
    }

    public void ReluBackward(NnBuffer y, NnBuffer dy, NnBuffer dx, int count)
    {
        ExpectAtLeast(y, count, "ReLU output");
        ExpectAtLeast(dy, count, "ReLU output gradient");
        ExpectAtLeast(dx, count, "ReLU input gradient");
        _elementwise.ReluBackward(Ptr(y), Ptr(dy), Ptr(dx), count);
    }

    public void MaxPool2x2Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        ValidatePool(inputShape);
        Expect(x, inputShape.Length, "max-pool input");
        Expect(y, inputShape.Pooled.Length, "max-pool output");
        _maxPool.Forward(inputShape, Ptr(x), Ptr(y));
    }

    public void MaxPool2x2Backward(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx)
    {
        ValidatePool(inputShape);
        Expect(x, inputShape.Length, "max-pool input");
        Expect(dy, inputShape.Pooled.Length, "max-pool output gradient");
        Expect(dx, inputShape.Length, "max-pool input gradient");
        _maxPool.Backward(inputShape, Ptr(x), Ptr(dy), Ptr(dx));
    }

    public void DropoutForward(NnBuffer x, NnBuffer y, int count, in DropoutMask mask)
    {
        ExpectAtLeast(x, count, "dropout input");
        ExpectAtLeast(y, count, "dropout output");
        _elementwise.Dropout(Ptr(x), Ptr(y), count, mask);
    }

    public void DropoutBackward(NnBuffer dy, NnBuffer dx, int count, in DropoutMask mask)
    {
        ExpectAtLeast(dy, count, "dropout output gradient");
        ExpectAtLeast(dx, count, "dropout input gradient");
        _elementwise.Dropout(Ptr(dy), Ptr(dx), count, mask);
    }

    // ------------------------------------------------------------------ fused

    public void BatchNormReluPoolForward(in Nchw inputShape, NnBuffer x, NnBuffer pooled, in BatchNormBuffers bn,
        bool training, float momentum, float epsilon)
    {
        ValidateBatchNorm(inputShape, bn, momentum, epsilon, training);
        ValidatePool(inputShape);
        Expect(x, inputShape.Length, "batch norm input");
        Expect(pooled, inputShape.Pooled.Length, "pooled output");
        if (training)
        {
            _bn.Statistics(inputShape, Ptr(x), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd), Ptr(bn.RunningMean),
                Ptr(bn.RunningVar), momentum, epsilon);
            _bn.ScaleShift(inputShape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        }
        else
        {
            _bn.InferenceScaleShift(inputShape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.RunningMean),
                Ptr(bn.RunningVar), epsilon);
        }
        _bnReluPool.Forward(inputShape, Ptr(x), Ptr(pooled), _bn.Scale, _bn.Shift);
    }

    public void BatchNormReluPoolBackward(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx,
        in BatchNormBuffers bn)
    {
        ValidateBatchNorm(inputShape, bn, 0f, 1f, training: true);
        ValidatePool(inputShape);
        Expect(x, inputShape.Length, "batch norm input");
        Expect(dPooled, inputShape.Pooled.Length, "pooled output gradient");
        Expect(dx, inputShape.Length, "batch norm input gradient");
        _bn.ScaleShift(inputShape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        _bnReluPool.Backward(inputShape, Ptr(x), Ptr(dPooled), Ptr(dx), _bn.Scale, _bn.Shift, Ptr(bn.Weight), Ptr(bn.SavedMean),
            Ptr(bn.SavedInvStd), Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
    }

    // ------------------------------------------------------------------ fused conv block

    public void ConvBlockForward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer pooled, in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        conv.Validate();
        var shape = new Nchw(conv.Batch, conv.OutChannels, conv.OutHeight, conv.OutWidth);
        ValidateBatchNorm(shape, bn, momentum, epsilon, training);
        ValidatePool(shape);
        Expect(x, conv.InputLength, "conv input");
        Expect(weight, conv.WeightLength, "conv weight");
        if (bias is not null) Expect(bias, conv.OutChannels, "conv bias");
        Expect(convOut, conv.OutputLength, "conv output");
        Expect(pooled, shape.Pooled.Length, "pooled output");
        float* b = bias is null ? null : Ptr(bias);
        if (!training)
        {
            _conv.Forward(conv, Ptr(x), Ptr(weight), b, Ptr(convOut));
            _bn.InferenceScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.RunningMean), Ptr(bn.RunningVar), epsilon);
        }
        else
        {
            // statistics of (y − shift) with a shift near each channel's values (its first output), summed in double
            float* shift = _statsShift.Ensure(conv.OutChannels);
            for (int c = 0; c < conv.OutChannels; c++) shift[c] = CpuConv2d.OutputAt(conv, Ptr(x), Ptr(weight), b, 0, c, 0, 0);
            double* stats = _stats.Ensure(2 * conv.OutChannels);
            _conv.Forward(conv, Ptr(x), Ptr(weight), b, Ptr(convOut), shift, stats);
            double m = (double)shape.Batch * shape.Plane;
            for (int c = 0; c < conv.OutChannels; c++)
                CpuBatchNorm.Finish(c, stats[2 * c], stats[2 * c + 1], m, shift[c], Ptr(bn.SavedMean), Ptr(bn.SavedInvStd),
                    Ptr(bn.RunningMean), Ptr(bn.RunningVar), momentum, epsilon, updateRunning: true);
            _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        }
        _bnReluPool.Forward(shape, Ptr(convOut), Ptr(pooled), _bn.Scale, _bn.Shift);
    }

    public void ConvBlockBackward(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer convOut, NnBuffer dPooled,
        NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn)
    {
        conv.Validate();
        var shape = new Nchw(conv.Batch, conv.OutChannels, conv.OutHeight, conv.OutWidth);
        ValidateBatchNorm(shape, bn, 0f, 1f, training: true);
        ValidatePool(shape);
        Expect(x, conv.InputLength, "conv input");
        Expect(weight, conv.WeightLength, "conv weight");
        Expect(convOut, conv.OutputLength, "conv output");
        Expect(dPooled, shape.Pooled.Length, "pooled output gradient");
        if (dx is not null) Expect(dx, conv.InputLength, "conv input gradient");
        if (dWeight is not null) Expect(dWeight, conv.WeightLength, "conv weight gradient");
        if (dBias is not null) Expect(dBias, conv.OutChannels, "conv bias gradient");
        _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        _bnReluPool.Coefficients(shape, Ptr(convOut), Ptr(dPooled), _bn.Scale, _bn.Shift, Ptr(bn.Weight), Ptr(bn.SavedMean),
            Ptr(bn.SavedInvStd), Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
        _conv.Backward(conv, Ptr(x), Ptr(weight), null, dx is null ? null : Ptr(dx), dWeight is null ? null : Ptr(dWeight),
            dBias is null ? null : Ptr(dBias), _convBlockGradient);
    }

    // ------------------------------------------------------------------ optimisers and loss

    public void AdamUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment, NnBuffer secondMoment, int count,
        in AdamStep step)
    {
        step.Validate();
        ExpectAtLeast(parameter, count, "parameter");
        ExpectAtLeast(gradient, count, "gradient");
        ExpectAtLeast(firstMoment, count, "Adam first moment");
        ExpectAtLeast(secondMoment, count, "Adam second moment");
        CpuOptimisers.Adam(Ptr(parameter), Ptr(gradient), Ptr(firstMoment), Ptr(secondMoment), count, step);
    }

    public void SgdUpdate(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count, in SgdStep step)
    {
        step.Validate();
        ExpectAtLeast(parameter, count, "parameter");
        ExpectAtLeast(gradient, count, "gradient");
        ExpectAtLeast(velocity, count, "SGD velocity");
        CpuOptimisers.Sgd(Ptr(parameter), Ptr(gradient), Ptr(velocity), count, step);
    }

    public (float Loss, float Accuracy) PrototypicalLoss(NnBuffer embeddings, in EpisodeShape episode, NnBuffer dEmbeddings)
    {
        ValidateEpisodeLoss(embeddings, episode, dEmbeddings);
        return _loss.Compute(Ptr(embeddings), episode, Ptr(dEmbeddings));
    }

    public (float Loss, float Accuracy) MatchingLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings) =>
        CosineLoss(embeddings, episode, CosineLossMode.Matching, scale, dEmbeddings);

    public (float Loss, float Accuracy) CosineMeanLoss(NnBuffer embeddings, in EpisodeShape episode, float scale, NnBuffer dEmbeddings) =>
        CosineLoss(embeddings, episode, CosineLossMode.CosineMean, scale, dEmbeddings);

    private (float Loss, float Accuracy) CosineLoss(NnBuffer embeddings, in EpisodeShape episode, CosineLossMode mode, float scale,
        NnBuffer dEmbeddings)
    {
        ValidateEpisodeLoss(embeddings, episode, dEmbeddings);
        CheckScale(scale);
        return _cosineLoss.Compute(Ptr(embeddings), episode, mode, scale, Ptr(dEmbeddings));
    }

    // ------------------------------------------------------------------ helpers

    private float* Ptr(NnBuffer buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return buffer is CpuNnBuffer cpu
            ? cpu.Pointer
            : throw new ArgumentException($"a {buffer.GetType().Name} cannot be used by the CPU operations (allocate it with CpuNnOps)");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool.Dispose();
    }
}
