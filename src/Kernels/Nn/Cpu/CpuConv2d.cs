using Lshk.Kernels.Cpu;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// 2-d convolution on the CPU as register-blocked matrix products (<see cref="ConvMicroKernels"/>), one image per
/// work item.
///
/// Stride 1 (the Conv-4 case) uses a "padded grid": each image is copied into zero-bordered planes of width
/// Wp = W + 2·pad, and output column c stands for grid position (c / Wp, c % Wp). Tap (ci, kh, kw) then reads the
/// input at the constant shift ci·plane + kh·Wp + kw, so the im2col matrix is never built: the micro-kernel reads
/// shifted rows straight from the padded planes. Grid positions with ow ≥ OW are computed and dropped. The input
/// gradient is the same computation on the padded output gradient with the weights flipped and transposed
/// (padding K−1−pad). The weight gradient multiplies shifted input rows by the output gradient laid out
/// column-major on the same grid, zero at the dropped positions.
///
/// 3×3 stride-1 convolutions with at least <see cref="WinogradConv.MinChannels"/> channels each side (Conv-4's
/// inner blocks) go to <see cref="WinogradConv"/>, which needs 4× fewer multiplications.
///
/// Other strides build the im2col matrix explicitly and use the same micro-kernels, with a scatter-add (col2im)
/// for the input gradient.
/// </summary>
internal sealed unsafe class CpuConv2d
{
    /// <summary>Writes image <paramref name="image"/>'s output gradient (Cout × OH × OW) to <paramref name="destination"/>.</summary>
    public delegate void ImageProducer(int image, int worker, float* destination);

    private const int Rows = ConvMicroKernels.Rows;
    private const int Cols = ConvMicroKernels.Cols;

    private readonly WorkerPool _pool;
    private readonly Scratch[] _scratch;
    private readonly PinnedScratch<float> _packedForward = new();
    private readonly PinnedScratch<float> _packedBackward = new();
    private readonly PinnedScratch<int> _forwardOffsets = new();
    private readonly PinnedScratch<int> _backwardOffsets = new();
    private readonly WorkerPool.Body _forwardImage;
    private readonly WorkerPool.Body _backwardImage;
    private readonly WinogradConv _winograd;

    // The call in progress (set before each parallel loop; calls are one at a time).
    private Conv2dShape _s;
    private Grid _forward, _backward;
    private float* _x, _bias, _y, _dy, _dx;
    private bool _doDx, _doDw, _doDb, _generic;
    private int _call;
    private float* _statsShift;        // forward: per-channel shift for the output statistics (null: none)
    private bool _keepOutput = true;   // forward: write y (false: worker scratch only)
    private ImageProducer? _dyProducer; // backward: computes each image's dy instead of reading it

    public CpuConv2d(WorkerPool pool)
    {
        _pool = pool;
        _scratch = new Scratch[pool.Workers];
        for (int w = 0; w < _scratch.Length; w++) _scratch[w] = new Scratch();
        _forwardImage = ForwardImage;
        _backwardImage = BackwardImage;
        _winograd = new WinogradConv(pool);
    }

    /// <summary>For tests: use the explicit im2col path for stride 1 too.</summary>
    internal bool ForceGeneric { get; set; }

    /// <summary>For tests and benchmarks: compute the shapes <see cref="WinogradConv"/> takes by the direct path.</summary>
    internal bool ForceDirect { get; set; }

    /// <summary>For tests and benchmarks: <see cref="WinogradConv"/>'s output tile side (2 or 4; 0 for its default).</summary>
    internal int WinogradTile
    {
        get => _winograd.ForceTile;
        set => _winograd.ForceTile = value;
    }

    private bool UsesWinograd(in Conv2dShape s) => !ForceGeneric && !ForceDirect && WinogradConv.Applies(s);

    private bool UsesGrid(in Conv2dShape s) => !ForceGeneric && s.Stride == 1 && s.Padding <= s.Kernel - 1;

    // ------------------------------------------------------------------ forward

    /// <summary>
    /// y = conv(x, w) + bias. With <paramref name="statsShift"/> given, also sums, per output channel, (y − shift) and
    /// (y − shift)² over the batch into <paramref name="stats"/>[2·co] and [2·co + 1] (double): batch norm's statistics
    /// taken while the outputs are still in cache. With <paramref name="keepOutput"/> false, each image's output goes
    /// to worker scratch and y is not written (a caller that only wants the statistics).
    /// </summary>
    public void Forward(in Conv2dShape s, float* x, float* w, float* bias, float* y, float* statsShift = null,
        double* stats = null, bool keepOutput = true)
    {
        if (s.Batch == 0) return;
        _keepOutput = keepOutput;
        if (UsesWinograd(s))
        {
            if (!keepOutput) throw new InvalidOperationException("the Winograd path always writes its output");
            _winograd.Forward(s, x, w, bias, y, statsShift, stats);
            return;
        }
        _s = s;
        _x = x;
        _bias = bias;
        _y = y;
        _statsShift = statsShift;
        _dyProducer = null;
        _doDx = _doDw = _doDb = false;
        _generic = !UsesGrid(s);
        _call++;
        if (_generic)
        {
            _forward = Grid.Im2col(s, s.OutChannels);
            PackRows(w, s.OutChannels, s.Taps, _packedForward.Ensure(_forward.MPanels * s.Taps * Rows));
            FillStridedOffsets(_forwardOffsets.Ensure(s.Taps), s.Taps, _forward.Ld);
        }
        else
        {
            _forward = Grid.Create(s.InChannels, s.Height, s.Width, s.Padding, s.Kernel, s.OutChannels);
            PackRows(w, s.OutChannels, s.Taps, _packedForward.Ensure(_forward.MPanels * s.Taps * Rows));
            FillGridOffsets(_forwardOffsets.Ensure(s.Taps), _forward);
        }
        _forward.PackedA = _packedForward.Pointer;
        _forward.Offsets = _forwardOffsets.Pointer;
        _pool.For(s.Batch, _forwardImage);
        if (statsShift == null) return;
        new Span<double>(stats, 2 * s.OutChannels).Clear();
        foreach (var scratch in _scratch)
            if (scratch.Call == _call)
                for (int i = 0; i < 2 * s.OutChannels; i++) stats[i] += scratch.Stats.Pointer[i];
    }

    private void ForwardImage(int n, int worker)
    {
        var scratch = Prepare(worker);
        var s = _s;
        float* input = _x + (long)n * s.InChannels * s.Height * s.Width;
        float* output = _keepOutput
            ? _y + (long)n * s.OutChannels * s.OutHeight * s.OutWidth
            : scratch.Discarded.Ensure(s.OutChannels * s.OutHeight * s.OutWidth + ConvMicroKernels.Cols);
        if (_generic)
        {
            float* col = scratch.Col.Ensure(s.Taps * _forward.Ld);
            Im2col(s, input, col, _forward.Ld);
            GemmImage(_forward, col, output, _bias, scratch, identityColumns: true, _statsShift);
        }
        else
        {
            float* padded = scratch.PaddedA.Pointer;
            PadInto(input, _forward, padded);
            GemmImage(_forward, padded, output, _bias, scratch, identityColumns: false, _statsShift);
        }
        if (_statsShift != null) FoldStatistics(scratch, s.OutChannels);
    }

    /// <summary>One output value, y[n][co][oh][ow], by a plain dot product (a cheap per-channel shift for the statistics).</summary>
    public static float OutputAt(in Conv2dShape s, float* x, float* w, float* bias, int n, int co, int oh, int ow)
    {
        double sum = bias == null ? 0 : bias[co];
        int k = s.Kernel;
        for (int ci = 0; ci < s.InChannels; ci++)
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++)
                {
                    int ih = oh * s.Stride - s.Padding + kh, iw = ow * s.Stride - s.Padding + kw;
                    if ((uint)ih < (uint)s.Height && (uint)iw < (uint)s.Width)
                        sum += (double)w[((long)co * s.InChannels + ci) * k * k + kh * k + kw]
                               * x[(((long)n * s.InChannels + ci) * s.Height + ih) * s.Width + iw];
                }
        return (float)sum;
    }

    /// <summary>Adds one image's per-channel vector sums to the worker's double totals and clears them.</summary>
    private static void FoldStatistics(Scratch scratch, int channels)
    {
        float* acc = scratch.StatsVectors.Pointer;
        double* totals = scratch.Stats.Pointer;
        if (!Vector512.IsHardwareAccelerated)
        {
            // the same 16 lanes as two halves, summed as Vector512.Sum sums its halves
            for (int i = 0; i < 2 * channels; i++)
            {
                float* a = acc + i * 16;
                totals[i] += Vector256.Sum(Vector256.Load(a)) + Vector256.Sum(Vector256.Load(a + 8));
                Vector256<float>.Zero.Store(a);
                Vector256<float>.Zero.Store(a + 8);
            }
            return;
        }
        for (int i = 0; i < 2 * channels; i++)
        {
            var v = Vector512.Load(acc + i * 16);
            totals[i] += Vector512.Sum(v);
            Vector512<float>.Zero.Store(acc + i * 16);
        }
    }

    /// <summary>
    /// output[co][p] = Σ_t A[co][t]·B[t][column(p)] (+ bias) for one image, 32 columns at a time: every 8-channel
    /// weight panel is multiplied by the same columns, then the tile is scattered to the valid output positions.
    /// </summary>
    private static void GemmImage(in Grid g, float* b, float* output, float* bias, Scratch scratch, bool identityColumns,
        float* statsShift = null)
    {
        float* acc = statsShift == null ? null : scratch.StatsVectors.Pointer;
        float* tile = scratch.Tile.Ensure(g.MPanels * Rows * Cols + Cols); // slack: CopyAdd reads whole vectors
        for (int j0 = 0; j0 < g.Columns; j0 += Cols)
        {
            for (int mp = 0; mp < g.MPanels; mp++)
                ConvMicroKernels.GatherTile(g.PackedA + (long)mp * g.Taps * Rows, b + j0, g.Offsets, g.Taps,
                    tile + mp * Rows * Cols, Cols);
            if (identityColumns) ScatterIdentity(g, tile, j0, output, bias, statsShift, acc);
            else ScatterGrid(g, tile, j0, output, bias, statsShift, acc);
        }
    }

    /// <summary>Tile columns j0.. are output positions j0.. directly (the im2col path).</summary>
    private static void ScatterIdentity(in Grid g, float* tile, int j0, float* output, float* bias, float* shift, float* acc)
    {
        int plane = g.OutH * g.OutW;
        int len = Math.Min(Cols, g.Columns - j0);
        for (int co = 0; co < g.OutC; co++)
            CopyAdd(tile + co * Cols, output + (long)co * plane + j0, len, bias == null ? 0f : bias[co],
                shift == null ? null : shift + co, acc == null ? null : acc + co * 32);
    }

    /// <summary>
    /// dst[i] = src[i] + b for i &lt; len (len ≤ 32), with masked stores for the ragged end. With a shift, also adds
    /// (dst − shift) and (dst − shift)² lane-wise to the two accumulator vectors at acc and acc + 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyAdd(float* src, float* dst, int len, float b, float* shift, float* acc)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            CopyAdd256(src, dst, len, b, shift, acc);
            return;
        }
        var vb = Vector512.Create(b);
        for (int i = 0; i < len; i += 16)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(len - i)).AsSingle();
            var v = Vector512.Load(src + i) + vb;
            Masked512.Store(dst + i, mask, v);
            if (shift != null)
            {
                var d = (v - Vector512.Create(*shift)) & mask;
                (Vector512.Load(acc) + d).Store(acc);
                Vector512.FusedMultiplyAdd(d, d, Vector512.Load(acc + 16)).Store(acc + 16);
            }
        }
    }

    /// <summary>
    /// <see cref="CopyAdd"/> 8 lanes at a time: element i goes to accumulator lane i mod 16, as in the 16-lane form.
    /// A fully masked half adds zeros there, which leaves the sums' bits unchanged, so it is skipped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyAdd256(float* src, float* dst, int len, float b, float* shift, float* acc)
    {
        var vb = Vector256.Create(b);
        for (int i = 0; i < len; i += Masked256.Lanes)
        {
            var v = Vector256.Load(src + i) + vb;
            Masked256.StoreFirst(dst + i, len - i, v);
            if (shift != null)
            {
                float* a = acc + (i & Masked256.Lanes);
                var d = (v - Vector256.Create(*shift)) & Masked256.FirstLanes(len - i);
                (Vector256.Load(a) + d).Store(a);
                Vector256.FusedMultiplyAdd(d, d, Vector256.Load(a + 16)).Store(a + 16);
            }
        }
    }

    /// <summary>Tile columns are grid positions (oh, ow) with ow &lt; Wp; only ow &lt; OW are written.</summary>
    private static void ScatterGrid(in Grid g, float* tile, int j0, float* output, float* bias, float* shift, float* acc)
    {
        int plane = g.OutH * g.OutW;
        int end = Math.Min(j0 + Cols, g.Columns);
        for (int c0 = j0; c0 < end;)
        {
            int oh = c0 / g.Wp;
            int rowStart = oh * g.Wp;
            int ow = c0 - rowStart;
            int next = Math.Min(end, rowStart + g.Wp);
            if (ow < g.OutW)
            {
                int len = Math.Min(g.OutW, next - rowStart) - ow;
                int from = c0 - j0, to = oh * g.OutW + ow;
                for (int co = 0; co < g.OutC; co++)
                    CopyAdd(tile + co * Cols + from, output + (long)co * plane + to, len, bias == null ? 0f : bias[co],
                        shift == null ? null : shift + co, acc == null ? null : acc + co * 32);
            }
            c0 = next;
        }
    }

    // ------------------------------------------------------------------ backward

    /// <summary>
    /// The input gradient (dx, when not null) and accumulated weight and bias gradients. The output gradient is read
    /// from <paramref name="dy"/>, or, when <paramref name="dyProducer"/> is given, computed image by image into
    /// scratch space just before it is used (so the whole tensor never exists).
    /// </summary>
    public void Backward(in Conv2dShape s, float* x, float* w, float* dy, float* dx, float* dWeight, float* dBias,
        ImageProducer? dyProducer = null)
    {
        if (s.Batch == 0 || (dx == null && dWeight == null && dBias == null)) return;
        if (UsesWinograd(s))
        {
            _winograd.Backward(s, x, w, dy, dx, dWeight, dBias, dyProducer);
            return;
        }
        _s = s;
        _x = x;
        _dy = dy;
        _dyProducer = dyProducer;
        _statsShift = null;
        _dx = dx;
        _doDx = dx != null;
        _doDw = dWeight != null;
        _doDb = dBias != null;
        _generic = !UsesGrid(s);
        _call++;
        if (_generic)
        {
            _forward = Grid.Im2col(s, s.OutChannels);
            FillStridedOffsets(_forwardOffsets.Ensure(s.Taps), s.Taps, _forward.Ld);
            _forward.Offsets = _forwardOffsets.Pointer;
            if (_doDx)
            {
                // dcol (taps × columns) = Wᵀ · dy: the rows of A are taps, its shared dimension the output channels.
                _backward = _forward with { OutC = s.Taps, MPanels = (s.Taps + Rows - 1) / Rows, Taps = s.OutChannels };
                PackTransposed(w, s.OutChannels, s.Taps, _packedBackward.Ensure(_backward.MPanels * s.OutChannels * Rows));
                FillStridedOffsets(_backwardOffsets.Ensure(s.OutChannels), s.OutChannels, _forward.Ld);
                _backward.PackedA = _packedBackward.Pointer;
                _backward.Offsets = _backwardOffsets.Pointer;
            }
        }
        else
        {
            _forward = Grid.Create(s.InChannels, s.Height, s.Width, s.Padding, s.Kernel, s.OutChannels);
            FillGridOffsets(_forwardOffsets.Ensure(s.Taps), _forward);
            _forward.Offsets = _forwardOffsets.Pointer;
            if (_doDx)
            {
                _backward = Grid.Create(s.OutChannels, s.OutHeight, s.OutWidth, s.Kernel - 1 - s.Padding, s.Kernel, s.InChannels);
                PackFlipped(w, s, _packedBackward.Ensure(_backward.MPanels * _backward.Taps * Rows));
                FillGridOffsets(_backwardOffsets.Ensure(_backward.Taps), _backward);
                _backward.PackedA = _packedBackward.Pointer;
                _backward.Offsets = _backwardOffsets.Pointer;
            }
        }
        _pool.For(s.Batch, _backwardImage);

        int coPad = CoPadded(s.OutChannels);
        foreach (var scratch in _scratch)
        {
            if (scratch.Call != _call) continue; // this worker ran no image
            if (_doDw)
            {
                float* partial = scratch.PartialW.Pointer;
                for (int co = 0; co < s.OutChannels; co++)
                {
                    float* row = dWeight + (long)co * s.Taps;
                    for (int t = 0; t < s.Taps; t++) row[t] += partial[t * coPad + co];
                }
            }
            if (_doDb)
                TensorPrimitives.Add(new ReadOnlySpan<float>(dBias, s.OutChannels),
                    new ReadOnlySpan<float>(scratch.PartialB.Pointer, s.OutChannels), new Span<float>(dBias, s.OutChannels));
        }
    }

    private void BackwardImage(int n, int worker)
    {
        var scratch = Prepare(worker);
        var s = _s;
        int inPlane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth;
        float* input = _x + (long)n * s.InChannels * inPlane;
        float* dOut;
        if (_dyProducer is null)
        {
            dOut = _dy + (long)n * s.OutChannels * outPlane;
        }
        else
        {
            dOut = scratch.Gradient.Ensure(s.OutChannels * outPlane);
            _dyProducer(n, worker, dOut);
        }
        int coPad = CoPadded(s.OutChannels);

        if (_doDb)
        {
            float* pb = scratch.PartialB.Pointer;
            for (int co = 0; co < s.OutChannels; co++)
                pb[co] += TensorPrimitives.Sum(new ReadOnlySpan<float>(dOut + (long)co * outPlane, outPlane));
        }

        if (_generic)
        {
            float* col = scratch.Col.Ensure(Math.Max(1, s.Taps * _forward.Ld));
            if (_doDw)
            {
                Im2col(s, input, col, _forward.Ld);
                float* dyT = scratch.Transposed.Pointer;
                for (int p = 0; p < outPlane; p++)
                    TransposeColumn(dOut + p, outPlane, s.OutChannels, dyT + (long)p * coPad);
                WeightGradient(s.Taps, col, tapOffsets: null, _forward.Ld, dyT, coPad, outPlane, scratch.PartialW.Pointer);
            }
            if (_doDx)
            {
                // dy rows copied with the column stride Ld, then dcol = Wᵀ·dy, then col2im.
                float* rows = scratch.PaddedA.Pointer;
                for (int co = 0; co < s.OutChannels; co++)
                    new ReadOnlySpan<float>(dOut + (long)co * outPlane, outPlane).CopyTo(new Span<float>(rows + (long)co * _forward.Ld, outPlane));
                float* dcol = scratch.Col2.Ensure(_backward.MPanels * Rows * _forward.Ld);
                for (int j0 = 0; j0 < outPlane; j0 += Cols)
                    for (int mp = 0; mp < _backward.MPanels; mp++)
                        ConvMicroKernels.GatherTile(_backward.PackedA + (long)mp * s.OutChannels * Rows, rows + j0,
                            _backward.Offsets, s.OutChannels, dcol + (long)mp * Rows * _forward.Ld + j0, _forward.Ld);
                float* dIn = _dx + (long)n * s.InChannels * inPlane;
                new Span<float>(dIn, s.InChannels * inPlane).Clear();
                Col2im(s, dcol, _forward.Ld, dIn);
            }
            return;
        }

        if (_doDx)
        {
            float* dIn = _dx + (long)n * s.InChannels * inPlane;
            float* padded = scratch.PaddedA.Pointer;
            PadInto(dOut, _backward, padded);
            GemmImage(_backward, padded, dIn, null, scratch, identityColumns: false);
        }
        if (_doDw)
        {
            float* padded = scratch.PaddedB.Pointer;
            PadInto(input, _forward, padded);
            // the output gradient, column-major on the forward grid (zero where ow ≥ OW)
            float* dyT = scratch.Transposed.Pointer;
            int wp = _forward.Wp;
            for (int oh = 0; oh < s.OutHeight; oh++)
                for (int ow = 0; ow < s.OutWidth; ow++)
                    TransposeColumn(dOut + oh * s.OutWidth + ow, outPlane, s.OutChannels, dyT + ((long)oh * wp + ow) * coPad);
            WeightGradient(s.Taps, padded, _forward.Offsets, 0, dyT, coPad, _forward.Columns, scratch.PartialW.Pointer);
        }
    }

    /// <summary>
    /// partial[t][co] += Σ_{c &lt; count} row_t[c] · dyT[c][co], where row_t = source + tapOffsets[t] (grid path) or
    /// source + t·ld (im2col path); taps are taken 8 at a time (missing taps read tap 0 and land in padding rows).
    /// </summary>
    private static void WeightGradient(int taps, float* source, int* tapOffsets, int ld, float* dyT, int coPad, int count,
        float* partial)
    {
        float** rows = stackalloc float*[Rows];
        for (int t0 = 0; t0 < taps; t0 += Rows)
        {
            for (int i = 0; i < Rows; i++)
            {
                int t = t0 + i < taps ? t0 + i : 0;
                rows[i] = source + (tapOffsets != null ? tapOffsets[t] : (long)t * ld);
            }
            for (int c0 = 0; c0 < coPad; c0 += Cols)
                ConvMicroKernels.AccumulateTile(rows, dyT + c0, coPad, count, partial + (long)t0 * coPad + c0, coPad);
        }
    }

    /// <summary>
    /// dst[co] = src[co·stride] for co &lt; count: one position of every channel into one contiguous row. Walking the
    /// channels in the inner loop keeps the stores sequential; the loads advance through all planes in step.
    /// </summary>
    private static void TransposeColumn(float* src, int stride, int count, float* dst)
    {
        for (int co = 0; co < count; co++) dst[co] = src[(long)co * stride];
    }

    // ------------------------------------------------------------------ per-worker scratch

    private sealed class Scratch
    {
        public int Call;
        public readonly PinnedScratch<float> PaddedA = new(); // padded input (forward) or padded dy (backward), or dy rows
        public readonly PinnedScratch<float> PaddedB = new(); // padded input for the weight gradient
        public readonly PinnedScratch<float> Tile = new();
        public readonly PinnedScratch<float> Col = new();
        public readonly PinnedScratch<float> Col2 = new();
        public readonly PinnedScratch<float> Transposed = new(); // dy column-major
        public readonly PinnedScratch<float> PartialW = new();   // taps (padded to 8) × Cout (padded to 32)
        public readonly PinnedScratch<float> PartialB = new();
        public readonly PinnedScratch<float> Gradient = new();     // one image's produced output gradient
        public readonly PinnedScratch<float> Discarded = new();    // one image's output when y is not kept
        public readonly PinnedScratch<float> StatsVectors = new(); // per channel: Σ(y − shift), Σ(y − shift)² lane-wise
        public readonly PinnedScratch<double> Stats = new();       // per channel: the same summed over images
    }

    /// <summary>On a worker's first image of a call: zero its buffers (padding borders must be zero; partial sums start at 0).</summary>
    private Scratch Prepare(int worker)
    {
        var scratch = _scratch[worker];
        if (scratch.Call == _call) return scratch;
        scratch.Call = _call;
        var s = _s;
        int coPad = CoPadded(s.OutChannels);
        if (_generic)
        {
            scratch.PaddedA.EnsureZeroed(Math.Max(1, s.OutChannels * _forward.Ld));
            scratch.Transposed.EnsureZeroed(Math.Max(1, s.OutHeight * s.OutWidth * coPad));
        }
        else
        {
            scratch.PaddedA.EnsureZeroed(_doDx && _backward.ScratchLength > 0 ? Math.Max(_forward.ScratchLength, _backward.ScratchLength) : _forward.ScratchLength);
            scratch.PaddedB.EnsureZeroed(_forward.ScratchLength);
            scratch.Transposed.EnsureZeroed(_forward.Columns * coPad);
        }
        scratch.PartialW.EnsureZeroed(RoundUp(s.Taps, Rows) * coPad);
        scratch.PartialB.EnsureZeroed(s.OutChannels);
        if (_statsShift != null)
        {
            scratch.StatsVectors.EnsureZeroed(2 * s.OutChannels * 16);
            scratch.Stats.EnsureZeroed(2 * s.OutChannels);
        }
        return scratch;
    }

    // ------------------------------------------------------------------ geometry, packing, im2col

    /// <summary>One matrix-product convolution: A (OutC × Taps, packed) times columns of B.</summary>
    private struct Grid
    {
        public int InC, H, W, Pad, K, OutC, OutH, OutW;
        public int Hp, Wp, Plane;   // padded planes (grid path)
        public int Columns;         // columns per image: OutH·Wp (grid) or OutH·OutW (im2col)
        public int Ld;              // row stride of the im2col matrix
        public int Taps, MPanels, ScratchLength;
        public float* PackedA;
        public int* Offsets;

        public static Grid Create(int inC, int h, int w, int pad, int k, int outC)
        {
            var g = new Grid
            {
                InC = inC, H = h, W = w, Pad = pad, K = k, OutC = outC,
                Hp = h + 2 * pad, Wp = w + 2 * pad,
                Taps = inC * k * k, MPanels = (outC + Rows - 1) / Rows,
            };
            g.OutH = g.Hp - k + 1;
            g.OutW = g.Wp - k + 1;
            g.Plane = g.Hp * g.Wp;
            g.Columns = g.OutH * g.Wp;
            int maxOffset = (inC - 1) * g.Plane + (k - 1) * g.Wp + (k - 1);
            // the last tile reads up to column RoundUp(Columns, 32) − 1 at the largest shift
            g.ScratchLength = Math.Max(inC * g.Plane, RoundUp(g.Columns, Cols) + maxOffset) + 16;
            return g;
        }

        public static Grid Im2col(in Conv2dShape s, int outC)
        {
            int columns = s.OutHeight * s.OutWidth;
            return new Grid
            {
                InC = s.InChannels, H = s.Height, W = s.Width, Pad = s.Padding, K = s.Kernel, OutC = outC,
                OutH = s.OutHeight, OutW = s.OutWidth, Columns = columns, Ld = RoundUp(columns, Cols) + 16,
                Taps = s.Taps, MPanels = (outC + Rows - 1) / Rows,
            };
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static int CoPadded(int outChannels) => RoundUp(outChannels, Cols);

    /// <summary>Copies C planes of H×W into the interior of the zero-bordered padded planes.</summary>
    private static void PadInto(float* source, in Grid g, float* padded)
    {
        for (int c = 0; c < g.InC; c++)
        {
            float* src = source + (long)c * g.H * g.W;
            float* dst = padded + (long)c * g.Plane + g.Pad * g.Wp + g.Pad;
            for (int ih = 0; ih < g.H; ih++) CopyRow(src + ih * g.W, dst + ih * g.Wp, g.W);
        }
    }

    /// <summary>dst[i] = src[i] for i &lt; n, 16 at a time with masked loads and stores (rows here are short).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < n; i += Masked256.Lanes)
                Masked256.StoreFirst(dst + i, n - i, Masked256.LoadFirst(src + i, n - i));
            return;
        }
        for (int i = 0; i < n; i += 16)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
            Masked512.Store(dst + i, mask, Masked512.Load(src + i, mask, Vector512<float>.Zero));
        }
    }

    /// <summary>offsets[t] for tap t = (c, kh, kw): c·plane + kh·Wp + kw.</summary>
    private static void FillGridOffsets(int* offsets, in Grid g)
    {
        int t = 0;
        for (int c = 0; c < g.InC; c++)
            for (int kh = 0; kh < g.K; kh++)
                for (int kw = 0; kw < g.K; kw++)
                    offsets[t++] = c * g.Plane + kh * g.Wp + kw;
    }

    private static void FillStridedOffsets(int* offsets, int count, int ld)
    {
        for (int t = 0; t < count; t++) offsets[t] = t * ld;
    }

    /// <summary>packed[panel][t][i] = m[panel·8 + i][t] for a rows × taps matrix (zero rows pad the last panel).</summary>
    private static void PackRows(float* m, int rows, int taps, float* packed)
    {
        int panels = (rows + Rows - 1) / Rows;
        for (int p = 0; p < panels; p++)
            for (int t = 0; t < taps; t++)
                for (int i = 0; i < Rows; i++)
                {
                    int r = p * Rows + i;
                    packed[((long)p * taps + t) * Rows + i] = r < rows ? m[(long)r * taps + t] : 0f;
                }
    }

    /// <summary>packed[panel][co][i] = W[co][panel·8 + i]: Wᵀ with taps as rows.</summary>
    private static void PackTransposed(float* w, int outC, int taps, float* packed)
    {
        int panels = (taps + Rows - 1) / Rows;
        for (int p = 0; p < panels; p++)
            for (int co = 0; co < outC; co++)
                for (int i = 0; i < Rows; i++)
                {
                    int t = p * Rows + i;
                    packed[((long)p * outC + co) * Rows + i] = t < taps ? w[(long)co * taps + t] : 0f;
                }
    }

    /// <summary>
    /// The input gradient's weights: rows ci, taps (co, kh, kw) with W'[ci][co][kh][kw] = W[co][ci][K−1−kh][K−1−kw].
    /// </summary>
    private static void PackFlipped(float* w, in Conv2dShape s, float* packed)
    {
        int k = s.Kernel, kk = k * k;
        int taps = s.OutChannels * kk;
        int panels = (s.InChannels + Rows - 1) / Rows;
        for (int p = 0; p < panels; p++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int kh = 0; kh < k; kh++)
                    for (int kw = 0; kw < k; kw++)
                    {
                        int t = co * kk + kh * k + kw;
                        for (int i = 0; i < Rows; i++)
                        {
                            int ci = p * Rows + i;
                            packed[((long)p * taps + t) * Rows + i] = ci < s.InChannels
                                ? w[((long)co * s.InChannels + ci) * kk + (k - 1 - kh) * k + (k - 1 - kw)]
                                : 0f;
                        }
                    }
    }

    /// <summary>col[t][oh·OW + ow] = x[c][oh·s − pad + kh][ow·s − pad + kw], zero outside the image.</summary>
    private static void Im2col(in Conv2dShape s, float* x, float* col, int ld)
    {
        int t = 0;
        for (int c = 0; c < s.InChannels; c++)
            for (int kh = 0; kh < s.Kernel; kh++)
                for (int kw = 0; kw < s.Kernel; kw++, t++)
                {
                    float* row = col + (long)t * ld;
                    for (int oh = 0; oh < s.OutHeight; oh++)
                    {
                        int ih = oh * s.Stride - s.Padding + kh;
                        float* dst = row + oh * s.OutWidth;
                        if ((uint)ih >= (uint)s.Height)
                        {
                            new Span<float>(dst, s.OutWidth).Clear();
                            continue;
                        }
                        float* src = x + ((long)c * s.Height + ih) * s.Width;
                        for (int ow = 0; ow < s.OutWidth; ow++)
                        {
                            int iw = ow * s.Stride - s.Padding + kw;
                            dst[ow] = (uint)iw < (uint)s.Width ? src[iw] : 0f;
                        }
                    }
                }
    }

    /// <summary>dx[c][ih][iw] += dcol[t][p] for every tap and output position that read it (the adjoint of im2col).</summary>
    private static void Col2im(in Conv2dShape s, float* dcol, int ld, float* dx)
    {
        int t = 0;
        for (int c = 0; c < s.InChannels; c++)
            for (int kh = 0; kh < s.Kernel; kh++)
                for (int kw = 0; kw < s.Kernel; kw++, t++)
                {
                    float* row = dcol + (long)t * ld;
                    for (int oh = 0; oh < s.OutHeight; oh++)
                    {
                        int ih = oh * s.Stride - s.Padding + kh;
                        if ((uint)ih >= (uint)s.Height) continue;
                        float* dst = dx + ((long)c * s.Height + ih) * s.Width;
                        for (int ow = 0; ow < s.OutWidth; ow++)
                        {
                            int iw = ow * s.Stride - s.Padding + kw;
                            if ((uint)iw < (uint)s.Width) dst[iw] += row[oh * s.OutWidth + ow];
                        }
                    }
                }
    }
}
