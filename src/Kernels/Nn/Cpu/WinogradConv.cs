using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The 3×3, stride-1, padding-1 convolution of Conv-4's inner blocks on the CPU by Winograd's minimal filtering
/// F(2×2, 3×3) (Lavin &amp; Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs
/// ("tile") comes from a 4×4 window of the input as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, which takes 16 multiplications per
/// channel pair where the direct form takes 36. Across channels the 16 element-wise products become 16 matrix
/// products, M[ξ] = V[ξ]·U[ξ] (tiles × input channels times input channels × output channels), run by the same
/// register-blocked micro-kernels as the direct convolution (<see cref="ConvMicroKernels"/>).
///
/// The backward pass is the exact adjoint of those linear maps, not an approximation: with dM = A·dY·Aᵀ per tile,
/// the input gradient is Σ over tiles of B·(dM·Uᵀ)·Bᵀ scattered back onto the overlapping 4×4 windows, and the weight
/// gradient is Gᵀ·(Σ over tiles and images of Vᵀ·dM)·G. So the gradients are those of the computed forward, and
/// <c>CpuConv2dTests</c> checks all three against the float64 reference and central differences.
///
/// Layout: the transforms work on eight channels at a time (Vector256, so the AVX2 and AVX-512 forms give the same
/// bits), which needs channel-contiguous data: each image is transposed to height × width × channels on the way in
/// and back on the way out. The reference for this op is <c>NnReference.Conv2dForward</c>; its GPU kernel is the
/// direct convolution in <c>Gpu/ConvKernels.cs</c> (the same function, to rounding).
/// </summary>
internal sealed unsafe class WinogradConv
{
    /// <summary>
    /// Channel counts below this stay on the direct path: the products' column blocks are 32 channels wide, and with
    /// fewer channels the transforms, which cost per channel rather than per channel pair, outweigh what is saved.
    /// (It also keeps the recorded fixed-seed outputs, whose network has 8 filters, on the direct path.)
    /// </summary>
    public const int MinChannels = 32;

    /// <summary>The transforms take channels a vector of this many at a time, so channel counts must be multiples.</summary>
    private const int ChannelStep = 8;

    private const int TileOut = 2;  // m: outputs per tile side
    private const int Window = 4;   // α = m + r − 1: input window side
    private const int Points = Window * Window; // ξ: the 16 transformed points
    private const int Rows = ConvMicroKernels.Rows;

    /// <summary>
    /// Floats added to the row and matrix strides so they are not multiples of 4 KiB, as they would be for Conv-4 (a
    /// 14×14 map's padded row of 64 channels is 16·64·4 bytes): there loads can falsely wait on unrelated stores whose
    /// addresses match in their low 12 bits (4K aliasing). A precaution; on the Zen 4 its effect was within the noise.
    /// </summary>
    private const int Skew = 16;

    /// <summary>
    /// Tiles transformed, multiplied and transformed back together. An image's tiles are taken a chunk at a time so
    /// that the chunk's 16 transformed matrices (64 KB each of V and M for 64 channels) stay in the core's caches between
    /// the steps; whole images of Conv-4's 14×14 block (49 tiles) would make them 229 KB each.
    /// </summary>
    private const int ChunkTiles = 16;
    private const int Cols = ConvMicroKernels.Cols;

    /// <summary>Whether <paramref name="s"/> is a convolution this class computes.</summary>
    public static bool Applies(in Conv2dShape s) =>
        s.Kernel == 3 && s.Stride == 1 && s.Padding == 1 &&
        s.InChannels >= MinChannels && s.OutChannels >= MinChannels &&
        s.InChannels % ChannelStep == 0 && s.OutChannels % ChannelStep == 0;

    private readonly WorkerPool _pool;
    private readonly Scratch[] _scratch;
    private readonly PinnedScratch<float> _u = new();   // [ξ][c][k], row length KP: the transformed weights
    private readonly PinnedScratch<float> _ut = new();  // [ξ][k][c], row length CP: their transpose (input gradient)
    private readonly PinnedScratch<int> _inOffsets = new();  // per input position: where it lives channels-last (padded)
    private readonly PinnedScratch<int> _outOffsets = new(); // per output position: the same in the output buffer
    private readonly WorkerPool.Body _forwardImage, _backwardImage;

    // The call in progress (calls are one at a time).
    private Geometry _g;
    private float* _x, _bias, _y, _dy, _dx;
    private float* _statsShift;
    private bool _doDx, _doDw, _doDb;
    private int _call;
    private CpuConv2d.ImageProducer? _dyProducer;

    public WinogradConv(WorkerPool pool)
    {
        _pool = pool;
        _scratch = new Scratch[pool.Workers];
        for (int w = 0; w < _scratch.Length; w++) _scratch[w] = new Scratch();
        _forwardImage = ForwardImage;
        _backwardImage = BackwardImage;
    }

    // ------------------------------------------------------------------ forward

    /// <summary>As <see cref="CpuConv2d.Forward"/>, for a shape where <see cref="Applies"/> holds.</summary>
    public void Forward(in Conv2dShape s, float* x, float* w, float* bias, float* y, float* statsShift, double* stats)
    {
        _g = new Geometry(s);
        _x = x;
        _bias = bias;
        _y = y;
        _statsShift = statsShift;
        _doDx = _doDw = _doDb = false;
        _dyProducer = null;
        _call++;
        FillOffsets(_g);
        TransformWeights(w, _g, _u.Ensure(Points * _g.CP * _g.KP), transposed: false);
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
        var g = _g;
        float* v = scratch.V.Pointer, m = scratch.M.Pointer, hwc = scratch.Hwc.Pointer, outHwc = scratch.Hwc2.Pointer;
        ToChannelsLast(_x + (long)n * g.Cin * g.InPlane, g.Cin, g.InPlane, _inOffsets.Pointer, hwc);
        float** rows = stackalloc float*[Rows];
        for (int t0 = 0; t0 < g.T; t0 += ChunkTiles)
        {
            int count = Math.Min(ChunkTiles, g.T - t0);
            InputTransform(g, hwc, v, t0, count);
            // M[ξ] = V[ξ]·U[ξ]: rows are tiles, the shared dimension input channels, columns output channels.
            for (int xi = 0; xi < Points; xi++)
            {
                float* vXi = v + (long)xi * g.VXi, uXi = _u.Pointer + (long)xi * g.CP * g.KP, mXi = m + (long)xi * g.MXi;
                for (int r0 = 0; r0 < count; r0 += Rows)
                {
                    for (int i = 0; i < Rows; i++) rows[i] = vXi + (long)(r0 + i) * g.CP;
                    for (int k0 = 0; k0 < g.KP; k0 += Cols)
                        ConvMicroKernels.ProductTile(rows, uXi + k0, g.KP, g.Cin, mXi + (long)r0 * g.KP + k0, g.KP);
                }
            }
            OutputTransform(g, m, _bias, outHwc, t0, count);
        }
        float* output = _y + (long)n * g.Cout * g.OutPlane;
        FromChannelsLast(outHwc, _outOffsets.Pointer, output, g.Cout, g.OutPlane);
        if (_statsShift != null) AddStatistics(g, output, _statsShift, scratch.Stats.Pointer);
    }

    /// <summary>
    /// V[ξ][t − t0][c] = (Bᵀ d B)[ξ] for the tiles t0 … t0 + count − 1 and every input channel c, where d is the
    /// tile's 4×4 window of the zero-padded input, laid out as (H + pad) × (W + pad) × channels so that eight channels
    /// of a window point are one vector.
    /// </summary>
    private static void InputTransform(in Geometry g, float* hwc, float* v, int t0, int count)
    {
        long xiStride = g.VXi;
        for (int t = t0; t < t0 + count; t++)
            {
                int th = t / g.TW, tw = t - th * g.TW;
                float* window = hwc + (long)(TileOut * th) * g.InRow + TileOut * tw * g.CP;
                float* dst = v + (long)(t - t0) * g.CP;
                long row = g.InRow;
                for (int c = 0; c < g.Cin; c += ChannelStep)
                {
                    float* p0 = window + c, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
                    int cp = g.CP;
                    // R = Bᵀ d (rows), Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
                    var r00 = Vector256.Load(p0) - Vector256.Load(p2);
                    var r01 = Vector256.Load(p0 + cp) - Vector256.Load(p2 + cp);
                    var r02 = Vector256.Load(p0 + 2 * cp) - Vector256.Load(p2 + 2 * cp);
                    var r03 = Vector256.Load(p0 + 3 * cp) - Vector256.Load(p2 + 3 * cp);
                    var r10 = Vector256.Load(p1) + Vector256.Load(p2);
                    var r11 = Vector256.Load(p1 + cp) + Vector256.Load(p2 + cp);
                    var r12 = Vector256.Load(p1 + 2 * cp) + Vector256.Load(p2 + 2 * cp);
                    var r13 = Vector256.Load(p1 + 3 * cp) + Vector256.Load(p2 + 3 * cp);
                    var r20 = Vector256.Load(p2) - Vector256.Load(p1);
                    var r21 = Vector256.Load(p2 + cp) - Vector256.Load(p1 + cp);
                    var r22 = Vector256.Load(p2 + 2 * cp) - Vector256.Load(p1 + 2 * cp);
                    var r23 = Vector256.Load(p2 + 3 * cp) - Vector256.Load(p1 + 3 * cp);
                    var r30 = Vector256.Load(p1) - Vector256.Load(p3);
                    var r31 = Vector256.Load(p1 + cp) - Vector256.Load(p3 + cp);
                    var r32 = Vector256.Load(p1 + 2 * cp) - Vector256.Load(p3 + 2 * cp);
                    var r33 = Vector256.Load(p1 + 3 * cp) - Vector256.Load(p3 + 3 * cp);
                    // V = R B (columns, the same combination)
                    float* o = dst + c;
                    StoreRow(o, xiStride, 0, r00, r01, r02, r03);
                    StoreRow(o, xiStride, 1, r10, r11, r12, r13);
                    StoreRow(o, xiStride, 2, r20, r21, r22, r23);
                    StoreRow(o, xiStride, 3, r30, r31, r32, r33);
                }
            }
    }

    /// <summary>Row i of V = R·B: points ξ = 4i … 4i + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* o, long xiStride, int i, Vector256<float> a0, Vector256<float> a1,
        Vector256<float> a2, Vector256<float> a3)
    {
        float* p = o + Window * i * xiStride;
        (a0 - a2).Store(p);
        (a1 + a2).Store(p + xiStride);
        (a2 - a1).Store(p + 2 * xiStride);
        (a1 - a3).Store(p + 3 * xiStride);
    }

    /// <summary>
    /// out[2·th + a][2·tw + b][k] = (Aᵀ M A)[a][b] + bias[k] for the tiles t0 … t0 + count − 1, into a
    /// height × width × channels buffer (eight channels a vector) that holds whole tiles, 2·TH × 2·TW positions.
    /// </summary>
    private static void OutputTransform(in Geometry g, float* m, float* bias, float* hwc, int t0, int count)
    {
        long xiStride = g.MXi;
        int rowLength = g.OutRow;
        for (int t = t0; t < t0 + count; t++)
            {
                int th = t / g.TW, tw = t - th * g.TW;
                float* src = m + (long)(t - t0) * g.KP;
                float* dst = hwc + (long)(TileOut * th) * rowLength + TileOut * tw * g.KP;
                for (int k = 0; k < g.Cout; k += ChannelStep)
                {
                    float* p = src + k;
                    // S = Aᵀ M (rows), Aᵀ = [1 1 1 0; 0 1 −1 −1]
                    var s00 = Vector256.Load(p) + Vector256.Load(p + 4 * xiStride) + Vector256.Load(p + 8 * xiStride);
                    var s01 = Vector256.Load(p + xiStride) + Vector256.Load(p + 5 * xiStride) + Vector256.Load(p + 9 * xiStride);
                    var s02 = Vector256.Load(p + 2 * xiStride) + Vector256.Load(p + 6 * xiStride) + Vector256.Load(p + 10 * xiStride);
                    var s03 = Vector256.Load(p + 3 * xiStride) + Vector256.Load(p + 7 * xiStride) + Vector256.Load(p + 11 * xiStride);
                    var s10 = Vector256.Load(p + 4 * xiStride) - Vector256.Load(p + 8 * xiStride) - Vector256.Load(p + 12 * xiStride);
                    var s11 = Vector256.Load(p + 5 * xiStride) - Vector256.Load(p + 9 * xiStride) - Vector256.Load(p + 13 * xiStride);
                    var s12 = Vector256.Load(p + 6 * xiStride) - Vector256.Load(p + 10 * xiStride) - Vector256.Load(p + 14 * xiStride);
                    var s13 = Vector256.Load(p + 7 * xiStride) - Vector256.Load(p + 11 * xiStride) - Vector256.Load(p + 15 * xiStride);
                    var b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + k);
                    float* q = dst + k;
                    (s00 + s01 + s02 + b).Store(q);
                    (s01 - s02 - s03 + b).Store(q + g.KP);
                    (s10 + s11 + s12 + b).Store(q + rowLength);
                    (s11 - s12 - s13 + b).Store(q + rowLength + g.KP);
                }
            }
    }

    /// <summary>Per output channel, Σ(y − shift) and Σ(y − shift)² over one image, added to the worker's totals.</summary>
    private static void AddStatistics(in Geometry g, float* output, float* shift, double* totals)
    {
        for (int k = 0; k < g.Cout; k++)
        {
            float* plane = output + (long)k * g.OutPlane;
            var vs = Vector256.Create(shift[k]);
            Vector256<float> sum = default, squares = default;
            int i = 0;
            for (; i + Vector256<float>.Count <= g.OutPlane; i += Vector256<float>.Count)
            {
                var d = Vector256.Load(plane + i) - vs;
                sum += d;
                squares = Vector256.FusedMultiplyAdd(d, d, squares);
            }
            double s1 = Vector256.Sum(sum), s2 = Vector256.Sum(squares);
            for (; i < g.OutPlane; i++)
            {
                double d = plane[i] - shift[k];
                s1 += d;
                s2 += d * d;
            }
            totals[2 * k] += s1;
            totals[2 * k + 1] += s2;
        }
    }

    // ------------------------------------------------------------------ backward

    /// <summary>As <see cref="CpuConv2d.Backward"/>, for a shape where <see cref="Applies"/> holds.</summary>
    public void Backward(in Conv2dShape s, float* x, float* w, float* dy, float* dx, float* dWeight, float* dBias,
        CpuConv2d.ImageProducer? dyProducer)
    {
        _g = new Geometry(s);
        _x = x;
        _dy = dy;
        _dx = dx;
        _dyProducer = dyProducer;
        _statsShift = null;
        _doDx = dx != null;
        _doDw = dWeight != null;
        _doDb = dBias != null;
        _call++;
        FillOffsets(_g);
        if (_doDx) TransformWeights(w, _g, _ut.Ensure(Points * _g.KP * _g.CP), transposed: true);
        _pool.For(s.Batch, _backwardImage);

        var g = _g;
        if (_doDw)
        {
            // Σ over workers, in worker order, then dg = Gᵀ·dU·G per channel pair.
            float* total = null;
            foreach (var scratch in _scratch)
            {
                if (scratch.Call != _call) continue;
                if (total == null) total = scratch.PartialU.Pointer;
                else TensorPrimitives.Add(new ReadOnlySpan<float>(total, Points * g.CP * g.KP),
                    new ReadOnlySpan<float>(scratch.PartialU.Pointer, Points * g.CP * g.KP), new Span<float>(total, Points * g.CP * g.KP));
            }
            if (total != null) WeightGradient(g, total, dWeight);
        }
        if (_doDb)
            foreach (var scratch in _scratch)
                if (scratch.Call == _call)
                    TensorPrimitives.Add(new ReadOnlySpan<float>(dBias, g.Cout),
                        new ReadOnlySpan<float>(scratch.PartialB.Pointer, g.Cout), new Span<float>(dBias, g.Cout));
    }

    private void BackwardImage(int n, int worker)
    {
        var scratch = Prepare(worker);
        var g = _g;
        float* dOut;
        if (_dyProducer is null)
        {
            dOut = _dy + (long)n * g.Cout * g.OutPlane;
        }
        else
        {
            dOut = scratch.Gradient.Ensure(g.Cout * g.OutPlane);
            _dyProducer(n, worker, dOut);
        }
        if (_doDb)
        {
            float* pb = scratch.PartialB.Pointer;
            for (int k = 0; k < g.Cout; k++)
                pb[k] += TensorPrimitives.Sum(new ReadOnlySpan<float>(dOut + (long)k * g.OutPlane, g.OutPlane));
        }

        float* dm = scratch.M.Pointer, v = scratch.V.Pointer, hwc = scratch.Hwc.Pointer, outHwc = scratch.Hwc2.Pointer;
        float* dxHwc = scratch.DxHwc.Pointer;
        ToChannelsLast(dOut, g.Cout, g.OutPlane, _outOffsets.Pointer, outHwc);
        if (_doDw) ToChannelsLast(_x + (long)n * g.Cin * g.InPlane, g.Cin, g.InPlane, _inOffsets.Pointer, hwc);
        if (_doDx) new Span<float>(dxHwc, g.HwcLength).Clear();
        float** rows = stackalloc float*[Rows];
        for (int t0 = 0; t0 < g.T; t0 += ChunkTiles)
        {
            int count = Math.Min(ChunkTiles, g.T - t0);
            OutputGradientTransform(g, outHwc, dm, t0, count);
            if (_doDw)
            {
                // V again, as the forward made it: keeping it for the whole batch would cost 16/4 = 4× the input's memory
                InputTransform(g, hwc, v, t0, count);
                // dU[ξ] += V[ξ]ᵀ·dM[ξ] over these tiles: rows are input channels, columns output channels.
                float* partial = scratch.PartialU.Pointer;
                for (int xi = 0; xi < Points; xi++)
                {
                    float* vXi = v + (long)xi * g.VXi, dmXi = dm + (long)xi * g.MXi;
                    float* uXi = partial + (long)xi * g.CP * g.KP;
                    for (int c0 = 0; c0 < g.Cin; c0 += Rows)
                        for (int k0 = 0; k0 < g.KP; k0 += Cols)
                            ConvMicroKernels.OuterTile(vXi + c0, g.CP, dmXi + k0, g.KP, count, uXi + (long)c0 * g.KP + k0, g.KP);
                }
            }
            if (_doDx)
            {
                // dV[ξ] = dM[ξ]·U[ξ]ᵀ: rows are tiles, the shared dimension output channels, columns input channels.
                float* dv = v;
                for (int xi = 0; xi < Points; xi++)
                {
                    float* dmXi = dm + (long)xi * g.MXi, utXi = _ut.Pointer + (long)xi * g.KP * g.CP;
                    float* dvXi = dv + (long)xi * g.VXi;
                    for (int r0 = 0; r0 < count; r0 += Rows)
                    {
                        for (int i = 0; i < Rows; i++) rows[i] = dmXi + (long)(r0 + i) * g.KP;
                        for (int c0 = 0; c0 < g.CP; c0 += Cols)
                            ConvMicroKernels.ProductTile(rows, utXi + c0, g.CP, g.Cout, dvXi + (long)r0 * g.CP + c0, g.CP);
                    }
                }
                InputGradientTransform(g, dv, dxHwc, t0, count);
            }
        }
        if (_doDx) FromChannelsLast(dxHwc, _inOffsets.Pointer, _dx + (long)n * g.Cin * g.InPlane, g.Cin, g.InPlane);
    }

    /// <summary>
    /// dM[ξ][t − t0][k] = (A dY Aᵀ)[ξ] for the tiles t0 … t0 + count − 1, from each tile's 2×2 block of the output
    /// gradient (channels last, zero outside the image): the adjoint of the output transform.
    /// </summary>
    private static void OutputGradientTransform(in Geometry g, float* hwc, float* dm, int t0, int count)
    {
        int rowLength = g.OutRow;
        long xiStride = g.MXi;
        for (int t = t0; t < t0 + count; t++)
            {
                int th = t / g.TW, tw = t - th * g.TW;
                float* src = hwc + (long)(TileOut * th) * rowLength + TileOut * tw * g.KP;
                float* dst = dm + (long)(t - t0) * g.KP;
                for (int k = 0; k < g.Cout; k += ChannelStep)
                {
                    float* q = src + k;
                    var y00 = Vector256.Load(q);
                    var y01 = Vector256.Load(q + g.KP);
                    var y10 = Vector256.Load(q + rowLength);
                    var y11 = Vector256.Load(q + rowLength + g.KP);
                    // P = A dY (rows), A = Aᵀᵀ = [1 0; 1 1; 1 −1; 0 −1]
                    var p10 = y00 + y10; var p11 = y01 + y11;
                    var p20 = y00 - y10; var p21 = y01 - y11;
                    float* o = dst + k;
                    StoreAdjointRow(o, xiStride, 0, y00, y01);
                    StoreAdjointRow(o, xiStride, 1, p10, p11);
                    StoreAdjointRow(o, xiStride, 2, p20, p21);
                    StoreAdjointRow(o, xiStride, 3, -y10, -y11);
                }
            }
    }

    /// <summary>Row i of dM = P·Aᵀ from row i of P = A·dY: points ξ = 4i … 4i + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreAdjointRow(float* o, long xiStride, int i, Vector256<float> a0, Vector256<float> a1)
    {
        float* p = o + Window * i * xiStride;
        a0.Store(p);
        (a0 + a1).Store(p + xiStride);
        (a0 - a1).Store(p + 2 * xiStride);
        (-a1).Store(p + 3 * xiStride);
    }

    /// <summary>
    /// B dV Bᵀ for the tiles t0 … t0 + count − 1 added onto each tile's 4×4 window (windows overlap by two rows and
    /// columns), the adjoint of the input transform, in a zero-bordered height × width × channels buffer whose
    /// interior becomes the NCHW input gradient.
    /// </summary>
    private static void InputGradientTransform(in Geometry g, float* dv, float* hwc, int t0, int count)
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        for (int t = t0; t < t0 + count; t++)
            {
                int th = t / g.TW, tw = t - th * g.TW;
                float* src = dv + (long)(t - t0) * g.CP;
                float* window = hwc + (long)(TileOut * th) * g.InRow + TileOut * tw * g.CP;
                int cp = g.CP;
                for (int c = 0; c < g.Cin; c += ChannelStep)
                {
                    float* p = src + c;
                    // Q = B dV (rows), B = [1 0 0 0; 0 1 −1 1; −1 1 1 0; 0 0 0 −1]
                    Vector256<float> q00, q01, q02, q03, q10, q11, q12, q13, q20, q21, q22, q23, q30, q31, q32, q33;
                    {
                        var a0 = Vector256.Load(p); var a1 = Vector256.Load(p + xiStride);
                        var a2 = Vector256.Load(p + 2 * xiStride); var a3 = Vector256.Load(p + 3 * xiStride);
                        var b0 = Vector256.Load(p + 4 * xiStride); var b1 = Vector256.Load(p + 5 * xiStride);
                        var b2 = Vector256.Load(p + 6 * xiStride); var b3 = Vector256.Load(p + 7 * xiStride);
                        var c0 = Vector256.Load(p + 8 * xiStride); var c1 = Vector256.Load(p + 9 * xiStride);
                        var c2 = Vector256.Load(p + 10 * xiStride); var c3 = Vector256.Load(p + 11 * xiStride);
                        var d0 = Vector256.Load(p + 12 * xiStride); var d1 = Vector256.Load(p + 13 * xiStride);
                        var d2 = Vector256.Load(p + 14 * xiStride); var d3 = Vector256.Load(p + 15 * xiStride);
                        q00 = a0; q01 = a1; q02 = a2; q03 = a3;
                        q10 = b0 - c0 + d0; q11 = b1 - c1 + d1; q12 = b2 - c2 + d2; q13 = b3 - c3 + d3;
                        q20 = b0 + c0 - a0; q21 = b1 + c1 - a1; q22 = b2 + c2 - a2; q23 = b3 + c3 - a3;
                        q30 = -d0; q31 = -d1; q32 = -d2; q33 = -d3;
                    }
                    // dd = Q Bᵀ (columns, the same combination), added onto the window
                    float* w0 = window + c;
                    AddAdjointRow(w0, cp, q00, q01, q02, q03);
                    AddAdjointRow(w0 + row, cp, q10, q11, q12, q13);
                    AddAdjointRow(w0 + 2 * row, cp, q20, q21, q22, q23);
                    AddAdjointRow(w0 + 3 * row, cp, q30, q31, q32, q33);
                }
            }
    }

    /// <summary>One window row of dd = Q·Bᵀ: [q0, q1 − q2 + q3, q1 + q2 − q0, −q3] added at four consecutive positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddAdjointRow(float* w, int cp, Vector256<float> q0, Vector256<float> q1, Vector256<float> q2,
        Vector256<float> q3)
    {
        (Vector256.Load(w) + q0).Store(w);
        (Vector256.Load(w + cp) + (q1 - q2 + q3)).Store(w + cp);
        (Vector256.Load(w + 2 * cp) + (q1 + q2 - q0)).Store(w + 2 * cp);
        (Vector256.Load(w + 3 * cp) - q3).Store(w + 3 * cp);
    }

    // ------------------------------------------------------------------ weights

    /// <summary>
    /// U[ξ][c][k] = (G g Gᵀ)[ξ] for the 3×3 kernel g = w[k][c], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] (the forward's);
    /// with <paramref name="transposed"/>, Uᵀ[ξ][k][c] instead (the input gradient's). Padding columns stay zero, so
    /// the products' extra columns are.
    /// </summary>
    private static void TransformWeights(float* w, in Geometry g, float* u, bool transposed)
    {
        new Span<float>(u, Points * g.CP * g.KP).Clear();
        float* t = stackalloc float[Points];
        for (int k = 0; k < g.Cout; k++)
            for (int c = 0; c < g.Cin; c++)
            {
                float* kernel = w + ((long)k * g.Cin + c) * 9;
                KernelTransform(kernel, t);
                long at = transposed ? (long)k * g.CP + c : (long)c * g.KP + k, xiStride = (long)g.CP * g.KP;
                for (int xi = 0; xi < Points; xi++) u[xi * xiStride + at] = t[xi];
            }
    }

    /// <summary>t = G g Gᵀ for one 3×3 kernel g (row-major), t 4×4 row-major.</summary>
    private static void KernelTransform(float* g, float* t)
    {
        float* r = stackalloc float[12]; // G g: 4 × 3
        for (int j = 0; j < 3; j++)
        {
            float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            r[j] = g0;
            r[3 + j] = 0.5f * (g0 + g1 + g2);
            r[6 + j] = 0.5f * (g0 - g1 + g2);
            r[9 + j] = g2;
        }
        for (int i = 0; i < Window; i++)
        {
            float a0 = r[3 * i], a1 = r[3 * i + 1], a2 = r[3 * i + 2];
            t[4 * i] = a0;
            t[4 * i + 1] = 0.5f * (a0 + a1 + a2);
            t[4 * i + 2] = 0.5f * (a0 - a1 + a2);
            t[4 * i + 3] = a2;
        }
    }

    /// <summary>dWeight[k][c] += Gᵀ dU[·][c][k] G, the adjoint of <see cref="KernelTransform"/>, in double.</summary>
    private static void WeightGradient(in Geometry g, float* du, float* dWeight)
    {
        double* d = stackalloc double[Points];
        double* r = stackalloc double[12]; // Gᵀ dU: 3 × 4
        for (int k = 0; k < g.Cout; k++)
            for (int c = 0; c < g.Cin; c++)
            {
                for (int xi = 0; xi < Points; xi++) d[xi] = du[((long)xi * g.CP + c) * g.KP + k];
                for (int j = 0; j < Window; j++)
                {
                    double a0 = d[j], a1 = d[4 + j], a2 = d[8 + j], a3 = d[12 + j];
                    r[j] = a0 + 0.5 * (a1 + a2);
                    r[4 + j] = 0.5 * (a1 - a2);
                    r[8 + j] = 0.5 * (a1 + a2) + a3;
                }
                float* dst = dWeight + ((long)k * g.Cin + c) * 9;
                for (int i = 0; i < 3; i++)
                {
                    double a0 = r[4 * i], a1 = r[4 * i + 1], a2 = r[4 * i + 2], a3 = r[4 * i + 3];
                    dst[3 * i] += (float)(a0 + 0.5 * (a1 + a2));
                    dst[3 * i + 1] += (float)(0.5 * (a1 - a2));
                    dst[3 * i + 2] += (float)(0.5 * (a1 + a2) + a3);
                }
            }
    }

    // ------------------------------------------------------------------ layouts

    /// <summary>
    /// image[c][p] → hwc[offsets[p] + c] for the plane's positions p (offsets place them in a channels-last buffer,
    /// with its border and row strides); the rest of the buffer is left as it is. Eight channels by eight positions
    /// at a time through an in-register transpose, the plane's last block overlapping the one before it rather than
    /// running past the plane (planes under eight positions go one value at a time).
    /// </summary>
    private static void ToChannelsLast(float* image, int channels, int plane, int* offsets, float* hwc)
    {
        for (int c = 0; c < channels; c += Block)
        {
            float* src = image + (long)c * plane;
            float* dst = hwc + c;
            if (plane < Block || !Avx.IsSupported)
            {
                for (int i = 0; i < Block; i++)
                    for (int p = 0; p < plane; p++) dst[offsets[p] + i] = src[(long)i * plane + p];
                continue;
            }
            for (int p = 0; ; p += Block)
            {
                if (p > plane - Block) p = plane - Block;
                var r0 = Avx.LoadVector256(src + p);
                var r1 = Avx.LoadVector256(src + plane + p);
                var r2 = Avx.LoadVector256(src + 2 * plane + p);
                var r3 = Avx.LoadVector256(src + 3 * plane + p);
                var r4 = Avx.LoadVector256(src + 4 * plane + p);
                var r5 = Avx.LoadVector256(src + 5 * plane + p);
                var r6 = Avx.LoadVector256(src + 6 * plane + p);
                var r7 = Avx.LoadVector256(src + 7 * plane + p);
                Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                int* o = offsets + p;
                Avx.Store(dst + o[0], r0); Avx.Store(dst + o[1], r1); Avx.Store(dst + o[2], r2); Avx.Store(dst + o[3], r3);
                Avx.Store(dst + o[4], r4); Avx.Store(dst + o[5], r5); Avx.Store(dst + o[6], r6); Avx.Store(dst + o[7], r7);
                if (p == plane - Block) break;
            }
        }
    }

    /// <summary>hwc[offsets[p] + c] → image[c][p] (overwritten): the reverse of <see cref="ToChannelsLast"/>.</summary>
    private static void FromChannelsLast(float* hwc, int* offsets, float* image, int channels, int plane)
    {
        for (int c = 0; c < channels; c += Block)
        {
            float* dst = image + (long)c * plane;
            float* src = hwc + c;
            if (plane < Block || !Avx.IsSupported)
            {
                for (int i = 0; i < Block; i++)
                    for (int p = 0; p < plane; p++) dst[(long)i * plane + p] = src[offsets[p] + i];
                continue;
            }
            for (int p = 0; ; p += Block)
            {
                if (p > plane - Block) p = plane - Block;
                int* o = offsets + p;
                var r0 = Avx.LoadVector256(src + o[0]); var r1 = Avx.LoadVector256(src + o[1]);
                var r2 = Avx.LoadVector256(src + o[2]); var r3 = Avx.LoadVector256(src + o[3]);
                var r4 = Avx.LoadVector256(src + o[4]); var r5 = Avx.LoadVector256(src + o[5]);
                var r6 = Avx.LoadVector256(src + o[6]); var r7 = Avx.LoadVector256(src + o[7]);
                Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                Avx.Store(dst + p, r0);
                Avx.Store(dst + plane + p, r1);
                Avx.Store(dst + 2 * plane + p, r2);
                Avx.Store(dst + 3 * plane + p, r3);
                Avx.Store(dst + 4 * plane + p, r4);
                Avx.Store(dst + 5 * plane + p, r5);
                Avx.Store(dst + 6 * plane + p, r6);
                Avx.Store(dst + 7 * plane + p, r7);
                if (p == plane - Block) break;
            }
        }
    }

    /// <summary>offsets[ih·w + iw] = (ih + border)·rowStride + (iw + border)·ld: where each position lives channels-last.</summary>
    private static void FillOffsets(int* offsets, int h, int w, int rowStride, int ld, int border)
    {
        for (int ih = 0; ih < h; ih++)
            for (int iw = 0; iw < w; iw++)
                offsets[ih * w + iw] = (ih + border) * rowStride + (iw + border) * ld;
    }

    private void FillOffsets(in Geometry g)
    {
        FillOffsets(_inOffsets.Ensure(g.InPlane), g.H, g.W, g.InRow, g.CP, border: 1);
        FillOffsets(_outOffsets.Ensure(g.OutPlane), g.OH, g.OW, g.OutRow, g.KP, border: 0);
    }

    /// <summary>The side of the blocks <see cref="Transpose8x8"/> moves (and of the channel groups).</summary>
    private const int Block = 8;

    /// <summary>Transposes the 8×8 matrix whose rows are r0 … r7, in place (24 shuffles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2,
        ref Vector256<float> r3, ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6,
        ref Vector256<float> r7)
    {
        // pairs of rows interleaved, then quadruples, within each 128-bit half; then the halves exchanged
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>The tiling of one call's shape.</summary>
    private readonly struct Geometry
    {
        public readonly int Cin, Cout, H, W, OH, OW, InPlane, OutPlane;
        public readonly int TH, TW, T;       // tiles down, across, in all
        public readonly int ChunkRows;       // tiles per chunk, rounded up to the products' 8 rows
        public readonly int CP, KP;          // input and output channels rounded up to the products' 32 columns
        public readonly int PH, PW;          // the padded input: one zero row and column before, enough after for whole windows
        public readonly int InRow, OutRow;   // row strides of the channels-last input and output buffers
        public readonly int VXi, MXi;        // strides between the 16 points' matrices of V and M
        public readonly int HwcLength;

        public Geometry(in Conv2dShape s)
        {
            Cin = s.InChannels; Cout = s.OutChannels; H = s.Height; W = s.Width; OH = s.OutHeight; OW = s.OutWidth;
            InPlane = H * W; OutPlane = OH * OW;
            TH = (OH + TileOut - 1) / TileOut;
            TW = (OW + TileOut - 1) / TileOut;
            T = TH * TW;
            ChunkRows = (Math.Min(T, ChunkTiles) + Rows - 1) / Rows * Rows;
            CP = (Cin + Cols - 1) / Cols * Cols;
            KP = (Cout + Cols - 1) / Cols * Cols;
            PH = TileOut * TH + 2;
            PW = TileOut * TW + 2;
            InRow = PW * CP + Skew;
            OutRow = TileOut * TW * KP + Skew;
            VXi = ChunkRows * CP + Skew;
            MXi = ChunkRows * KP + Skew;
            HwcLength = PH * InRow;
        }
    }

    // ------------------------------------------------------------------ per-worker scratch

    private sealed class Scratch
    {
        public int Call;
        public readonly PinnedScratch<float> Hwc = new();      // the padded input (or its gradient), channels last
        public readonly PinnedScratch<float> DxHwc = new();    // the padded input gradient, channels last
        public readonly PinnedScratch<float> Hwc2 = new();     // the output (or its gradient), channels last
        public readonly PinnedScratch<float> V = new();        // [ξ][t][c]: the transformed input (or its gradient)
        public readonly PinnedScratch<float> M = new();        // [ξ][t][k]: the products (or the output gradient's transform)
        public readonly PinnedScratch<float> PartialU = new(); // [ξ][c][k]: this worker's Σ Vᵀ·dM
        public readonly PinnedScratch<float> PartialB = new();
        public readonly PinnedScratch<float> Gradient = new(); // one image's produced output gradient
        public readonly PinnedScratch<double> Stats = new();
    }

    /// <summary>
    /// On a worker's first image of a call: zero what must start at zero (the padded borders, the tile rows past the
    /// last tile and the channel columns past the last channel, which the products read but nothing writes; the
    /// partial sums).
    /// </summary>
    private Scratch Prepare(int worker)
    {
        var scratch = _scratch[worker];
        if (scratch.Call == _call) return scratch;
        scratch.Call = _call;
        var g = _g;
        scratch.Hwc.EnsureZeroed(g.HwcLength);
        scratch.Hwc2.EnsureZeroed(TileOut * g.TH * g.OutRow);
        scratch.V.EnsureZeroed(Points * g.VXi);
        scratch.M.EnsureZeroed(Points * g.MXi);
        if (_doDx) scratch.DxHwc.Ensure(g.HwcLength);
        if (_doDw) scratch.PartialU.EnsureZeroed(Points * g.CP * g.KP);
        if (_doDb) scratch.PartialB.EnsureZeroed(g.Cout);
        if (_statsShift != null) scratch.Stats.EnsureZeroed(2 * g.Cout);
        return scratch;
    }
}
