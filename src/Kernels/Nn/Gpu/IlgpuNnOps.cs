using ILGPU;
using ILGPU.Runtime;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// The ILGPU implementation of <see cref="INnOps"/>: hand-written kernels (<see cref="ConvKernels"/>,
/// <see cref="NormKernels"/>, <see cref="PoolKernels"/>, <see cref="ElementwiseKernels"/>, <see cref="OptimiserKernels"/>,
/// <see cref="LossKernels"/>) on the accelerator of an <see cref="IlgpuBackend"/> — a CUDA GPU, or ILGPU's CPU simulator
/// in tests. Reductions (batch statistics, weight gradients) go through per-image or per-chunk partial sums added in a
/// fixed order, so results are deterministic. Float arithmetic is separate multiply and add (the PTX has no FMA), so
/// results agree with the CPU operations within float tolerance, not bit for bit. Arguments are checked by
/// <see cref="CheckedNnOps"/> before these run.
/// </summary>
public sealed class IlgpuNnOps : CheckedNnOps
{
    private readonly IlgpuBackend _backend;
    private readonly Accelerator _accelerator;
    private readonly object _gate;
    private readonly Dictionary<Delegate, Delegate> _loaded = new();
    private MemoryBuffer1D<float, Stride1D.Dense>? _partials, _perChannel, _coefficients, _blockGradient, _proto, _logits, _perQuery,
        _normal, _norms, _cosines, _dNormal;
    private bool _disposed;

    public IlgpuNnOps(IlgpuBackend backend)
    {
        _backend = backend;
        _accelerator = backend.Accelerator;
        _gate = backend.Gate;
    }

    public override DeviceInfo Device => _backend.Device;

    // ------------------------------------------------------------------ buffers and launching

    private protected override NnBuffer AllocateCore(int length)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var buffer = _backend.Allocate<float>(length);
            buffer.MemSetToZero();
            return new IlgpuNnBuffer(this, buffer, length, _gate);
        }
    }

    private ArrayView<float> V(NnBuffer buffer) =>
        buffer is IlgpuNnBuffer b && ReferenceEquals(b.Owner, this)
            ? b.View
            : throw new ArgumentException($"a {buffer.GetType().Name} from other operations cannot be used by these ILGPU operations");

    private ArrayView<float> Scratch(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            if (buffer is not null)
            {
                _accelerator.Synchronize(); // kernels already queued may still use the old buffer
                buffer.Dispose();
            }
            buffer = _backend.Allocate<float>(Math.Max(length, 1));
        }
        return buffer.View;
    }

    /// <summary>
    /// For operations added through <see cref="NnOpRegistry"/>: the device view of a buffer these operations made.
    /// </summary>
    internal ArrayView<float> ViewOf(NnBuffer buffer) => V(buffer);

    /// <summary>
    /// For operations added through <see cref="NnOpRegistry"/>: their scratch buffer with exactly
    /// <paramref name="length"/> values, made here when missing or of another size (the old one disposed).
    /// </summary>
    internal NnBuffer Reuse(ref NnBuffer? buffer, int length)
    {
        if (buffer is null || buffer.Length != length)
        {
            buffer?.Dispose();
            buffer = Allocate(length);
        }
        return buffer;
    }

    /// <summary>
    /// For operations added through <see cref="NnOpRegistry"/>: runs <paramref name="kernel"/> over
    /// <paramref name="work"/> items (grid-stride, <see cref="Kernels.Gpu.Threads"/>), loaded on first use, under the
    /// device's lock like every other operation here.
    /// </summary>
    internal void Run<T>(Action<T> kernel, long work, T args) where T : struct
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(kernel, work, args);
        }
    }

    /// <summary>Runs a registry kernel over <paramref name="work"/> items (grid-stride), loading it on first use.</summary>
    private void Launch<T>(Action<T> kernel, long work, T args) where T : struct
    {
        if (!_loaded.TryGetValue(kernel, out var loaded))
        {
            loaded = _accelerator.LoadStreamKernel(kernel);
            _loaded[kernel] = loaded;
        }
        ((Action<KernelConfig, T>)loaded)(_backend.ForThreads(Math.Max(1, work)), args);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.ThrowIfDisposed();
    }

    private protected override void FillCore(NnBuffer buffer, float value)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.Fill, buffer.Length, new ElementwiseArgs(V(buffer), V(buffer), V(buffer), buffer.Length, value));
        }
    }

    // ------------------------------------------------------------------ convolution

    private protected override void Conv2dForwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer y)
    {
        if (shape.Batch == 0) return;
        lock (_gate)
        {
            ThrowIfDisposed();
            ConvForward(shape, V(x), V(weight), bias is null ? null : V(bias), V(y));
        }
    }

    private void ConvForward(in Conv2dShape s, ArrayView<float> x, ArrayView<float> w, ArrayView<float>? bias,
        ArrayView<float> y) =>
        Launch(KernelRegistry.ConvForward, s.OutputLength, new ConvArgs(new ConvDims(s), x, w, bias ?? w, bias is null ? 0 : 1, y));

    private protected override void Conv2dBackwardCore(in Conv2dShape shape, NnBuffer x, NnBuffer weight, NnBuffer dy,
        NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias)
    {
        if (shape.Batch == 0) return;
        lock (_gate)
        {
            ThrowIfDisposed();
            ConvBackward(shape, V(x), V(weight), V(dy), dx is null ? null : V(dx), dWeight is null ? null : V(dWeight),
                dBias is null ? null : V(dBias));
        }
    }

    private void ConvBackward(in Conv2dShape s, ArrayView<float> x, ArrayView<float> w, ArrayView<float> dy, ArrayView<float>? dx,
        ArrayView<float>? dw, ArrayView<float>? db)
    {
        var dims = new ConvDims(s);
        if (dx is { } dxView) Launch(KernelRegistry.ConvBackwardData, s.InputLength, new ConvArgs(dims, dxView, w, w, 0, dy));
        if (dw is null && db is null) return;
        // about 256K threads: chunks of images per weight
        int weights = s.WeightLength;
        int chunks = Math.Clamp(262_144 / weights, 1, s.Batch);
        int perChunk = (s.Batch + chunks - 1) / chunks;
        chunks = (s.Batch + perChunk - 1) / perChunk;
        var partial = Scratch(ref _partials, (long)chunks * Math.Max(weights, s.OutChannels));
        if (dw is { } dwView)
        {
            Launch(KernelRegistry.ConvWeightPartials, (long)chunks * weights, new ConvGradArgs(dims, x, dy, partial, chunks, perChunk));
            Launch(KernelRegistry.ReducePartials, weights, new ReduceArgs(partial, chunks, weights, dwView));
        }
        if (db is { } dbView)
        {
            Launch(KernelRegistry.ConvBiasPartials, (long)chunks * s.OutChannels, new ConvGradArgs(dims, x, dy, partial, chunks, perChunk));
            Launch(KernelRegistry.ReducePartials, s.OutChannels, new ReduceArgs(partial, chunks, s.OutChannels, dbView));
        }
    }

    // ------------------------------------------------------------------ batch norm

    private ChannelArgs Channel(in Nchw s, in BatchNormBuffers bn, ArrayView<float> x, float momentum, float epsilon) =>
        new(new NchwDims(s), Scratch(ref _partials, 2L * s.Batch * s.Channels), x, V(bn.Weight), V(bn.Bias), V(bn.SavedMean),
            V(bn.SavedInvStd), V(bn.RunningMean), V(bn.RunningVar), V(bn.WeightGrad), V(bn.BiasGrad),
            Scratch(ref _perChannel, 2L * s.Channels), Scratch(ref _coefficients, 3L * s.Channels), momentum, epsilon);

    /// <summary>Batch statistics (saved, running update) and the per-channel scale and shift in the per-channel scratch.</summary>
    private void Statistics(in Nchw s, ArrayView<float> x, in BatchNormBuffers bn, float momentum, float epsilon)
    {
        var channel = Channel(s, bn, x, momentum, epsilon);
        Launch(KernelRegistry.NormStatisticsPartials, (long)s.Batch * s.Channels,
            new PlaneSumsArgs(new NchwDims(s), x, x, x, channel.Partial));
        Launch(KernelRegistry.NormStatisticsFinish, s.Channels, channel);
    }

    private protected override void BatchNormTrainingForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float momentum, float epsilon)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Statistics(shape, V(x), bn, momentum, epsilon);
            Launch(KernelRegistry.NormApply, shape.Length, new ChannelMapArgs(new NchwDims(shape), V(x), V(x), V(y), _perChannel!.View));
        }
    }

    private protected override void BatchNormInferenceForwardCore(in Nchw shape, NnBuffer x, NnBuffer y, in BatchNormBuffers bn,
        float epsilon)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.NormInferenceScaleShift, shape.Channels, Channel(shape, bn, V(x), 0f, epsilon));
            Launch(KernelRegistry.NormApply, shape.Length, new ChannelMapArgs(new NchwDims(shape), V(x), V(x), V(y), _perChannel!.View));
        }
    }

    private protected override void BatchNormBackwardCore(in Nchw shape, NnBuffer x, NnBuffer dy, NnBuffer dx,
        in BatchNormBuffers bn)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var channel = Channel(shape, bn, V(x), 0f, 1f);
            var dims = new NchwDims(shape);
            Launch(KernelRegistry.NormGradientPartials, (long)shape.Batch * shape.Channels,
                new PlaneSumsArgs(dims, V(x), V(dy), V(bn.SavedMean), channel.Partial));
            Launch(KernelRegistry.NormGradientFinish, shape.Channels, channel);
            Launch(KernelRegistry.NormBackwardApply, shape.Length, new ChannelMapArgs(dims, V(x), V(dy), V(dx), channel.Coeff));
        }
    }

    // ------------------------------------------------------------------ activations, pooling, dropout

    private protected override void ReluForwardCore(NnBuffer x, NnBuffer y, int count)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.ReluForward, count, new ElementwiseArgs(V(x), V(y), V(y), count, 0f));
        }
    }

    private protected override void ReluBackwardCore(NnBuffer y, NnBuffer dy, NnBuffer dx, int count)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.ReluBackward, count, new ElementwiseArgs(V(y), V(dy), V(dx), count, 0f));
        }
    }

    private PoolArgs Pool(in Nchw s, ArrayView<float> x, ArrayView<float> pooled, ArrayView<float> dx, bool fused) =>
        new(new NchwDims(s), x, pooled, dx, fused ? _perChannel!.View : x, fused ? _coefficients!.View : x, x,
            fused ? _partials!.View : x, fused ? 1 : 0);

    private protected override void MaxPool2x2ForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.PoolForward, inputShape.Pooled.Length, Pool(inputShape, V(x), V(y), V(y), fused: false));
        }
    }

    private protected override void MaxPool2x2BackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dy, NnBuffer dx)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.PoolBackward, inputShape.Length, Pool(inputShape, V(x), V(dy), V(dx), fused: false));
        }
    }

    private protected override void DropoutCore(NnBuffer x, NnBuffer y, int count, in DropoutMask mask)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.Dropout, count, new DropoutArgs(V(x), V(y), count, mask.Key, mask.Threshold, mask.Scale));
        }
    }

    // ------------------------------------------------------------------ fused

    private protected override void BatchNormReluPoolForwardCore(in Nchw inputShape, NnBuffer x, NnBuffer pooled,
        in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            NormReluPoolForward(inputShape, V(x), V(pooled), bn, training, momentum, epsilon);
        }
    }

    private void NormReluPoolForward(in Nchw s, ArrayView<float> x, ArrayView<float> pooled, in BatchNormBuffers bn,
        bool training, float momentum, float epsilon)
    {
        if (training) Statistics(s, x, bn, momentum, epsilon);
        else Launch(KernelRegistry.NormInferenceScaleShift, s.Channels, Channel(s, bn, x, 0f, epsilon));
        Channel(s, bn, x, 0f, 1f); // makes sure every scratch exists before the views are taken
        Launch(KernelRegistry.PoolForward, s.Pooled.Length, Pool(s, x, pooled, pooled, fused: true));
    }

    private protected override void BatchNormReluPoolBackwardCore(in Nchw inputShape, NnBuffer x, NnBuffer dPooled, NnBuffer dx,
        in BatchNormBuffers bn)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            NormReluPoolBackward(inputShape, V(x), V(dPooled), V(dx), bn);
        }
    }

    private void NormReluPoolBackward(in Nchw s, ArrayView<float> x, ArrayView<float> dPooled, ArrayView<float> dx,
        in BatchNormBuffers bn)
    {
        var channel = Channel(s, bn, x, 0f, 1f);
        Launch(KernelRegistry.NormSavedScaleShift, s.Channels, channel);
        var partials = new PoolArgs(new NchwDims(s), x, dPooled, dx, channel.Affine, channel.Coeff, V(bn.SavedMean), channel.Partial, 1);
        Launch(KernelRegistry.PoolFusedPartials, (long)s.Batch * s.Channels, partials);
        Launch(KernelRegistry.NormGradientFinish, s.Channels, channel);
        Launch(KernelRegistry.PoolBackward, s.Length, partials);
    }

    private protected override void ConvBlockForwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias,
        NnBuffer convOut, NnBuffer pooled, in BatchNormBuffers bn, bool training, float momentum, float epsilon)
    {
        var shape = conv.Output;
        lock (_gate)
        {
            ThrowIfDisposed();
            ConvForward(conv, V(x), V(weight), bias is null ? null : V(bias), V(convOut));
            NormReluPoolForward(shape, V(convOut), V(pooled), bn, training, momentum, epsilon);
        }
    }

    private protected override void ConvBlockBackwardCore(in Conv2dShape conv, NnBuffer x, NnBuffer weight, NnBuffer? bias, NnBuffer convOut,
        NnBuffer dPooled, NnBuffer? dx, NnBuffer? dWeight, NnBuffer? dBias, in BatchNormBuffers bn)
    {
        var shape = conv.Output;
        lock (_gate)
        {
            ThrowIfDisposed();
            // the device keeps the conv output's gradient in a scratch buffer between the two halves
            var dConv = Scratch(ref _blockGradient, conv.OutputLength);
            NormReluPoolBackward(shape, V(convOut), V(dPooled), dConv, bn);
            ConvBackward(conv, V(x), V(weight), dConv, dx is null ? null : V(dx), dWeight is null ? null : V(dWeight),
                dBias is null ? null : V(dBias));
        }
    }

    // ------------------------------------------------------------------ optimisers and loss

    private protected override void AdamUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer firstMoment,
        NnBuffer secondMoment, int count, in AdamStep step)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.Adam, count, new OptimiserArgs(V(parameter), V(gradient), V(firstMoment), V(secondMoment), count,
                step.LearningRate, step.Beta1, step.Beta2, step.Epsilon, step.WeightDecay, step.StepSize,
                step.InvSqrtBiasCorrection2, 0, 0));
        }
    }

    private protected override void SgdUpdateCore(NnBuffer parameter, NnBuffer gradient, NnBuffer velocity, int count,
        in SgdStep step)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Launch(KernelRegistry.Sgd, count, new OptimiserArgs(V(parameter), V(gradient), V(velocity), V(velocity), count,
                step.LearningRate, step.Momentum, 0f, 0f, step.WeightDecay, 0f, 0f, step.Nesterov ? 1 : 0, step.FirstStep ? 1 : 0));
        }
    }

    private protected override (float Loss, float Accuracy) PrototypicalLossCore(NnBuffer embeddings, in EpisodeShape episode,
        NnBuffer dEmbeddings)
    {
        int queries = episode.Ways * episode.Queries;
        var perQuery = new float[2 * queries];
        lock (_gate)
        {
            ThrowIfDisposed();
            var args = new LossArgs(episode.Ways, episode.Shots, episode.Queries, episode.Dim, V(embeddings),
                Scratch(ref _proto, (long)episode.Ways * episode.Dim), Scratch(ref _logits, (long)queries * episode.Ways),
                Scratch(ref _perQuery, 2L * queries), V(dEmbeddings));
            Launch(KernelRegistry.LossPrototypes, episode.Ways * episode.Dim, args);
            Launch(KernelRegistry.LossScores, queries, args);
            Launch(KernelRegistry.LossQueryGradient, (long)queries * episode.Dim, args);
            Launch(KernelRegistry.LossSupportGradient, episode.Ways * episode.Dim, args);
            args.PerQuery.SubView(0, perQuery.Length).CopyToCPU(perQuery);
        }
        return MeanOverQueries(perQuery, queries);
    }

    private protected override (float Loss, float Accuracy) CosineLossCore(NnBuffer embeddings, in EpisodeShape episode,
        CosineLossMode mode, float scale, NnBuffer dEmbeddings, float margin)
    {
        int queries = episode.Ways * episode.Queries, supports = episode.Ways * episode.Shots;
        long values = (long)episode.Batch * episode.Dim;
        var perQuery = new float[2 * queries];
        lock (_gate)
        {
            ThrowIfDisposed();
            var args = new CosineLossArgs(episode.Ways, episode.Shots, episode.Queries, episode.Dim, (int)mode, scale, margin, V(embeddings),
                Scratch(ref _normal, values), Scratch(ref _norms, episode.Batch), Scratch(ref _cosines, (long)queries * supports),
                Scratch(ref _perQuery, 2L * queries), Scratch(ref _dNormal, values), V(dEmbeddings));
            Launch(KernelRegistry.CosineLossNormalise, episode.Batch, args);
            Launch(KernelRegistry.CosineLossScores, queries, args);
            Launch(KernelRegistry.CosineLossNormalGradient, values, args);
            Launch(KernelRegistry.CosineLossProject, episode.Batch, args);
            args.PerQuery.SubView(0, perQuery.Length).CopyToCPU(perQuery);
        }
        return MeanOverQueries(perQuery, queries);
    }

    /// <summary>
    /// The loss and accuracy from the kernels' per-query values (losses, then 0/1 correct flags), summed on the host
    /// in double in query order, so the result does not depend on the launch.
    /// </summary>
    private static (float Loss, float Accuracy) MeanOverQueries(float[] perQuery, int queries)
    {
        double loss = 0, correct = 0;
        for (int q = 0; q < queries; q++)
        {
            loss += perQuery[q];
            correct += perQuery[queries + q];
        }
        return ((float)(loss / queries), (float)(correct / queries));
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var buffer in new[]
                     { _partials, _perChannel, _coefficients, _blockGradient, _proto, _logits, _perQuery, _normal, _norms, _cosines, _dNormal })
                buffer?.Dispose();
        }
    }
}
