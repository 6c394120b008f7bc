namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The CPU implementation of <see cref="INnOps"/>: managed SIMD (Vector512 fused multiply-add) over a fixed pool of
/// worker threads (one per core by default), working on pinned buffers through pointers. Steady-state calls allocate
/// nothing: scratch space grows once and is reused. Arguments are checked by <see cref="CheckedNnOps"/> before these run.
/// </summary>
public sealed unsafe class CpuNnOps : CheckedNnOps
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
    private readonly ConvRecompute _recompute;
    private readonly RecomputedConvGradient _recomputedGradient;
    private readonly RecomputedConvStatistics _recomputedStatistics;
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
        _convBlockGradient = (n, worker, destination) => _bnReluPool.BackwardImageInto(n, worker, destination);
        _recompute = new ConvRecompute(_pool.Workers);
        _recomputedGradient = new RecomputedConvGradient(_pool.Workers);
        _recomputedStatistics = new RecomputedConvStatistics(_pool);
        var info = global::Lshk.Kernels.Cpu.CpuBackend.Describe();
        string simd = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512" : "no AVX-512";
        Device = info with { Name = $"CPU ({_pool.Workers} threads, {simd})" };
    }

    public override DeviceInfo Device { get; }

    public int Threads => _pool.Workers;

    /// <summary>For tests: run stride-1 convolutions through the explicit im2col path.</summary>
    internal bool ForceIm2col
    {
        get => _conv.ForceGeneric;
        set => _conv.ForceGeneric = value;
    }

    /// <summary>For tests and benchmarks: compute the convolutions Winograd's method would take by the direct path.</summary>
    internal bool ForceDirectConv
    {
        get => _conv.ForceDirect;
        set => _conv.ForceDirect = value;
    }

    /// <summary>For tests and benchmarks: Winograd's output tile side (2 or 4; 0 for the default).</summary>
    internal int WinogradTile
    {
        get => _conv.WinogradTile;
        set => _conv.WinogradTile = value;
    }

    /// <summary>For tests and benchmarks: the fused conv block reads a cheap convolution's output back instead of recomputing it.</summary>
    internal bool ForceStoredConv { get; set; }

    /// <summary>
    /// For tests and benchmarks: a recomputed block whose input needs no gradient still produces its output gradient
    /// and runs the convolution's backward, instead of taking its weight gradient from the sums pass
    /// (<see cref="RecomputedConvGradient"/>).
    /// </summary>
    internal bool ForceProducedConvGradient { get; set; }

    private protected override NnBuffer AllocateCore(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new CpuNnBuffer(length);
    }

    private protected override void FillCore(NnBuffer buffer, float value) => new Span<float>(Ptr(buffer), buffer.Length).Fill(value);

    // ------------------------------------------------------------------ convolution

    private protected override void Conv2dForwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer y) =>
        _conv.Forward(shape, Ptr(x), Ptr(weight), bias is null ? null : Ptr(bias), Ptr(y));

    private protected override void Conv2dBackwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy,
        NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias)
    {
        _conv.Backward(shape, Ptr(x), Ptr(weight), Ptr(dy), dx is null ? null : Ptr(dx),
            dWeight is null ? null : Ptr(dWeight), dBias is null ? null : Ptr(dBias));
    }

    // ------------------------------------------------------------------ batch norm

    private protected override void BatchNormTrainingForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float momentum, float epsilon)
    {
        _bn.Statistics(shape, Ptr(x), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd), Ptr(bn.RunningMean), Ptr(bn.RunningVar),
            momentum, epsilon);
        _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        _bn.Apply(shape, Ptr(x), Ptr(y));
    }

    private protected override void BatchNormInferenceForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float epsilon)
    {
        _bn.InferenceScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.RunningMean), Ptr(bn.RunningVar), epsilon);
        _bn.Apply(shape, Ptr(x), Ptr(y));
    }

    private protected override void BatchNormBackwardCore(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx,
        in BatchNormBuffers bn)
    {
        _bn.Backward(shape, Ptr(x), Ptr(dy), Ptr(dx), Ptr(bn.Weight), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd),
            Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
    }

    // ------------------------------------------------------------------ activations, pooling, dropout

    private protected override void ReluForwardCore(NnBuffer x, NnBuffer y, int count) =>
        _elementwise.ReluForward(Ptr(x), Ptr(y), count);

    private protected override void ReluBackwardCore(NnBuffer y, NnBuffer dy, NnBuffer dx, int count) =>
        _elementwise.ReluBackward(Ptr(y), Ptr(dy), Ptr(dx), count);

    private protected override void MaxPool2x2ForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer y) =>
        _maxPool.Forward(inputShape, Ptr(x), Ptr(y));

    private protected override void MaxPool2x2BackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx) =>
        _maxPool.Backward(inputShape, Ptr(x), Ptr(dy), Ptr(dx));

    private protected override void DropoutCore(NnBuffer x, NnBuffer y, int count, in DropoutMask mask) =>
        _elementwise.Dropout(Ptr(x), Ptr(y), count, mask);

    // ------------------------------------------------------------------ fused

    private protected override void BatchNormReluPoolForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer pooled,
        in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
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

    private protected override void BatchNormReluPoolBackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx,
        in BatchNormBuffers bn)
    {
        _bn.ScaleShift(inputShape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        _bnReluPool.Backward(inputShape, Ptr(x), Ptr(dPooled), Ptr(dx), _bn.Scale, _bn.Shift, Ptr(bn.Weight), Ptr(bn.SavedMean),
            Ptr(bn.SavedInvStd), Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
    }

    // ------------------------------------------------------------------ fused conv block

    private protected override void ConvBlockForwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer convOut, NnBuffer pooled, in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        var shape = conv.Output;
        float* b = bias is null ? null : Ptr(bias);
        bool recompute = Recomputes(conv);
        if (!training)
        {
            if (!recompute) _conv.Forward(conv, Ptr(x), Ptr(weight), b, Ptr(convOut));
            _bn.InferenceScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.RunningMean), Ptr(bn.RunningVar), epsilon);
        }
        else
        {
            // statistics of (y − shift) with a shift near each channel's values (its first output), summed in double;
            // a recomputed convolution's output is not kept
            float* shift = _statsShift.Ensure(conv.OutChannels);
            for (int c = 0; c < conv.OutChannels; c++) shift[c] = CpuConv2d.OutputAt(conv, Ptr(x), Ptr(weight), b, 0, c, 0, 0);
            double* stats = _stats.Ensure(2 * conv.OutChannels);
            if (StatisticsFromInput(conv))
            {
                // a convolution with few taps: the statistics from its input's moments; its output is written only
                // when it is not recomputed (and then by the same code either way, so both give the same bits)
                if (!recompute) _conv.Forward(conv, Ptr(x), Ptr(weight), b, Ptr(convOut));
                _recompute.Begin(conv, Ptr(x), Ptr(weight), b);
                _recomputedStatistics.Compute(conv, _recompute, Ptr(weight), b, shift, stats);
            }
            else
            {
                _conv.Forward(conv, Ptr(x), Ptr(weight), b, Ptr(convOut), shift, stats, keepOutput: !recompute);
            }
            double m = (double)shape.Batch * shape.Plane;
            for (int c = 0; c < conv.OutChannels; c++)
                CpuBatchNorm.Finish(c, stats[2 * c], stats[2 * c + 1], m, shift[c], Ptr(bn.SavedMean), Ptr(bn.SavedInvStd),
                    Ptr(bn.RunningMean), Ptr(bn.RunningVar), momentum, epsilon, updateRunning: true);
            _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        }
        if (recompute) ReadConvThrough(conv, x, weight, bias);
        try
        {
            _bnReluPool.Forward(shape, Ptr(convOut), Ptr(pooled), _bn.Scale, _bn.Shift);
        }
        finally
        {
            _bnReluPool.ReadThrough(null);
        }
    }

    /// <summary>
    /// Whether the fused block recomputes <paramref name="conv"/>'s output image by image (<see cref="ConvRecompute"/>,
    /// bit for bit) instead of writing it to convOut and reading it back: then convOut is left unwritten.
    /// </summary>
    private bool Recomputes(in Conv2dShape conv) => ConvRecompute.Applies(conv) && !ForceIm2col && !ForceStoredConv;

    /// <summary>
    /// Whether the fused block takes <paramref name="conv"/>'s batch-norm statistics from its input's moments
    /// (<see cref="RecomputedConvStatistics"/>): the convolutions it can recompute, stored or not.
    /// </summary>
    private bool StatisticsFromInput(in Conv2dShape conv) => ConvRecompute.Applies(conv) && !ForceIm2col;

    /// <summary>The fused norm-ReLU-pool passes that follow read the convolution's images as recomputed.</summary>
    private void ReadConvThrough(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias)
    {
        _recompute.Begin(conv, Ptr(x), Ptr(weight), bias is null ? null : Ptr(bias));
        _bnReluPool.ReadThrough(_recompute);
    }

    private protected override void ConvBlockBackwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer dPooled, NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn)
    {
        var shape = conv.Output;
        _bn.ScaleShift(shape.Channels, Ptr(bn.Weight), Ptr(bn.Bias), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd));
        bool recompute = Recomputes(conv);
        // a recomputed convolution whose input needs no gradient gets its weight gradient from the sums pass
        bool fromSums = recompute && dx is null && (dWeight is not null || dBias is not null) && !ForceProducedConvGradient;
        if (recompute) ReadConvThrough(conv, x, weight, bias);
        try
        {
            if (fromSums)
            {
                _recomputedGradient.Begin(conv, _recompute);
                _bnReluPool.GatherConvGradient(_recomputedGradient);
            }
            _bnReluPool.Coefficients(shape, Ptr(convOut), Ptr(dPooled), _bn.Scale, _bn.Shift, Ptr(bn.Weight), Ptr(bn.SavedMean),
                Ptr(bn.SavedInvStd), Ptr(bn.WeightGrad), Ptr(bn.BiasGrad));
            if (fromSums)
                _recomputedGradient.Finish(Ptr(weight), bias is null ? null : Ptr(bias), _bnReluPool.ChannelSums,
                    (double)shape.Batch * shape.Plane, Ptr(bn.Weight), Ptr(bn.SavedMean), Ptr(bn.SavedInvStd),
                    dWeight is null ? null : Ptr(dWeight), dBias is null ? null : Ptr(dBias));
            else
                _conv.Backward(conv, Ptr(x), Ptr(weight), null, dx is null ? null : Ptr(dx), dWeight is null ? null : Ptr(dWeight),
                    dBias is null ? null : Ptr(dBias), _convBlockGradient);
        }
        finally
        {
            _bnReluPool.ReadThrough(null);
            _bnReluPool.GatherConvGradient(null);
        }
    }

    // ------------------------------------------------------------------ optimisers and loss

    private protected override void AdamUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment,
        NnBuffer secondMoment, int count, in AdamStep step) =>
        CpuOptimisers.Adam(Ptr(parameter), Ptr(gradient), Ptr(firstMoment), Ptr(secondMoment), count, step);

    private protected override void SgdUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count,
        in SgdStep step) =>
        CpuOptimisers.Sgd(Ptr(parameter), Ptr(gradient), Ptr(velocity), count, step);

    private protected override (float Loss, float Accuracy) PrototypicalLossCore(NnBuffer embeddings, in EpisodeShape episode,
        NnBuffer dEmbeddings) =>
        _loss.Compute(Ptr(embeddings), episode, Ptr(dEmbeddings));

    private protected override (float Loss, float Accuracy) CosineLossCore(NnBuffer embeddings, in EpisodeShape episode,
        CosineLossMode mode, float scale, NnBuffer dEmbeddings, float margin) =>
        _cosineLoss.Compute(Ptr(embeddings), episode, mode, scale, Ptr(dEmbeddings), margin);

    // ------------------------------------------------------------------ helpers

    /// <summary>For operations added through <see cref="NnOpRegistry"/>: the values of a buffer these operations made.</summary>
    internal Span<float> SpanOf(NnBuffer buffer) => new(Ptr(buffer), buffer.Length);

    private float* Ptr(NnBuffer buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return buffer is CpuNnBuffer cpu
            ? cpu.Pointer
            : throw new ArgumentException($"a {buffer.GetType().Name} cannot be used by the CPU operations (allocate it with CpuNnOps)");
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool.Dispose();
    }
}
