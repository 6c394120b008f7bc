using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The 3×3, stride-1, padding-1 convolution of Conv-4's inner blocks on the CPU by Winograd's minimal filtering
/// (Lavin &amp; Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each m×m block of outputs ("tile")
/// comes from an (m + 2)×(m + 2) window of the input as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. F(4×4, 3×3)
/// (<see cref="WinogradF4"/>) takes 36 multiplications per tile and channel pair where the direct form takes 144;
/// F(2×2, 3×3) (<see cref="WinogradF2"/>) takes 16 where it takes 36, with less rounding. Across channels the
/// element-wise products become one matrix product per point ξ, M[ξ] = V[ξ]·U[ξ] (tiles × input channels times input
/// channels × output channels), run by the same register-blocked micro-kernels as the direct convolution
/// (<see cref="ConvMicroKernels"/>). This class drives them: tiles, work items, products; the two files hold the
/// transforms.
///
/// The backward pass is the exact adjoint of those linear maps, not an approximation: with dM = A·dY·Aᵀ per tile,
/// the input gradient is Σ over tiles of B·(dM·Uᵀ)·Bᵀ scattered back onto the overlapping windows, and the weight
/// gradient is Gᵀ·(Σ over tiles and images of Vᵀ·dM)·G. So the gradients are those of the computed forward, and
/// <c>CpuConv2dTests</c> checks all three against the float64 reference and central differences, at both tile sizes.
///
/// Layout: the transforms work on eight channels at a time (Vector256, so the AVX2 and AVX-512 forms give the same
/// bits), which needs channel-contiguous data: each image is transposed to height × width × channels on the way in
/// and back on the way out. Small maps take several images per work item (<see cref="WinogradGeometry"/>), so the
/// products see 16 tiles at a time however few one image has. The reference for this op is
/// <c>NnReference.Conv2dForward</c>; its GPU kernel is the direct convolution in <c>Gpu/ConvKernels.cs</c> (the same
/// function, to rounding).
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

    private const int Rows = ConvMicroKernels.Rows;
    private const int Cols = ConvMicroKernels.Cols;
    private const int ChunkTiles = WinogradGeometry.ChunkTiles;

    /// <summary>Whether <paramref name="s"/> is a convolution this class computes.</summary>
    public static bool Applies(in Conv2dShape s) =>
        s.Kernel == 3 && s.Stride == 1 && s.Padding == 1 &&
        s.InChannels >= MinChannels && s.OutChannels >= MinChannels &&
        s.InChannels % ChannelStep == 0 && s.OutChannels % ChannelStep == 0;

    /// <summary>
    /// The output tile side used when none is forced. F(7×7, 3×3) on maps whose sides are multiples of 7, which its
    /// tiles cover exactly: Conv-4's 14×14 and 7×7 maps on 28×28 images (Omniglot, MNIST), 324 and 81 points per
    /// channel pair against F(4×4)'s 576 and 144, the step's products being what those blocks spend most on. Elsewhere
    /// F(4×4, 3×3) where the map is at least a tile a side (CIFAR's 16×16 and 8×8, covered exactly; 1.16–1.23× faster
    /// than F(2×2) at batch 600, bench/RESULTS.md), F(2×2, 3×3) below that, where a 4×4 tile is mostly padding and the
    /// two measured level (Conv-4's 3×3 map), so the more exact one. F(7×7) rounds more (<see cref="WinogradF7"/>), so
    /// it is kept off maps where it would mostly compute padding.
    /// </summary>
    public static int DefaultTile(in Conv2dShape s)
    {
        if (s.OutHeight % WinogradF7.Tile == 0 && s.OutWidth % WinogradF7.Tile == 0) return WinogradF7.Tile;
        return s.OutHeight >= WinogradF4.Tile && s.OutWidth >= WinogradF4.Tile ? WinogradF4.Tile : WinogradF2.Tile;
    }

    /// <summary>For tests and benchmarks: the output tile side (2, 4 or 7) instead of <see cref="DefaultTile"/>'s; 0 for the default.</summary>
    internal int ForceTile
    {
        get => _forceTile;
        set => _forceTile = value is 0 or WinogradF2.Tile or WinogradF4.Tile or WinogradF7.Tile ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Winograd tiles are 2, 4 or 7 outputs a side");
    }

    private int _forceTile;
    private readonly WorkerPool _pool;
    private readonly Scratch[] _scratch;
    private readonly PinnedScratch<float> _u = new();   // [ξ][c][k], row length KP: the transformed weights
    private readonly PinnedScratch<float> _ut = new();  // [ξ][k][c], row length CP: their transpose (input gradient)
    private readonly PinnedScratch<int> _inOffsets = new();  // per input position: where it lives channels-last (padded)
    private readonly PinnedScratch<int> _outOffsets = new(); // per output position: the same in the output buffer
    private readonly PinnedScratch<int> _tileIn = new();     // per tile of a work item: where its input window starts
    private readonly PinnedScratch<int> _tileOut = new();    // per tile of a work item: where its output block starts
    private readonly WorkerPool.Body _forwardItem, _backwardItem, _transformWeightsRow, _weightGradientRow;

    // The call in progress (calls are one at a time).
    private WinogradGeometry _g;
    private int _batch;
    private float* _x, _bias, _y, _dy, _dx;
    private float* _statsShift;
    private bool _doDx, _doDw, _doDb;
    private int _call;
    private CpuConv2d.ImageProducer? _dyProducer;
    private float* _weights, _transformed, _dWeight; // the weight transforms' source and destination, the gradient's
    private bool _transposed;
    private readonly nint[] _partialU;               // the workers' partial dU, in worker order
    private int _partials;

    public WinogradConv(WorkerPool pool)
    {
        _pool = pool;
        _scratch = new Scratch[pool.Workers];
        for (int w = 0; w < _scratch.Length; w++) _scratch[w] = new Scratch();
        _partialU = new nint[pool.Workers];
        _forwardItem = ForwardItem;
        _backwardItem = BackwardItem;
        _transformWeightsRow = TransformWeightsRow;
        _weightGradientRow = WeightGradientRow;
    }

    private void Begin(in Conv2dShape s)
    {
        _g = new WinogradGeometry(s, _forceTile == 0 ? DefaultTile(s) : _forceTile);
        _batch = s.Batch;
        _call++;
        var g = _g;
        FillOffsets(_inOffsets.Ensure(g.InPlane), g.H, g.W, g.InRow, g.CP, border: 1);
        FillOffsets(_outOffsets.Ensure(g.OutPlane), g.OH, g.OW, g.OutRow, g.KP, border: 0);
        g.FillTileOffsets(_tileIn.Ensure(g.T), _tileOut.Ensure(g.T));
    }

    /// <summary>The first image of work item <paramref name="item"/> and how many it holds.</summary>
    private (int First, int Count) Images(int item)
    {
        int first = item * _g.Group;
        return (first, Math.Min(_g.Group, _batch - first));
    }

    // ------------------------------------------------------------------ forward

    /// <summary>As <see cref="CpuConv2d.Forward"/>, for a shape where <see cref="Applies"/> holds.</summary>
    public void Forward(in Conv2dShape s, float* x, float* w, float* bias, float* y, float* statsShift, double* stats)
    {
        _x = x;
        _bias = bias;
        _y = y;
        _statsShift = statsShift;
        _doDx = _doDw = _doDb = false;
        _dyProducer = null;
        Begin(s);
        TransformWeights(w, _u.Ensure(_g.Points * _g.CP * _g.KP), transposed: false);
        _pool.For(_g.Items(s.Batch), _forwardItem);
        if (statsShift == null) return;
        new Span<double>(stats, 2 * s.OutChannels).Clear();
        foreach (var scratch in _scratch)
            if (scratch.Call == _call)
                for (int i = 0; i < 2 * s.OutChannels; i++) stats[i] += scratch.Stats.Pointer[i];
    }

    private void ForwardItem(int item, int worker)
    {
        var scratch = Prepare(worker);
        var g = _g;
        var (first, images) = Images(item);
        float* v = scratch.V.Pointer, m = scratch.M.Pointer, hwc = scratch.Hwc.Pointer, outHwc = scratch.Hwc2.Pointer;
        for (int i = 0; i < images; i++)
            ToChannelsLast(_x + (long)(first + i) * g.Cin * g.InPlane, g.Cin, g.InPlane, _inOffsets.Pointer, hwc + (long)i * g.InImage);
        float** rows = stackalloc float*[Rows];
        int tiles = images * g.TilesPerImage;
        for (int t0 = 0; t0 < tiles; t0 += ChunkTiles)
        {
            int count = Math.Min(ChunkTiles, tiles - t0);
            InputTransform(g, hwc, _tileIn.Pointer, v, t0, count);
            // M[ξ] = V[ξ]·U[ξ]: rows are tiles, the shared dimension input channels, columns output channels.
            for (int xi = 0; xi < g.Points; xi++)
            {
                float* vXi = v + (long)xi * g.VXi, uXi = _u.Pointer + (long)xi * g.CP * g.KP, mXi = m + (long)xi * g.MXi;
                for (int r0 = 0; r0 < count; r0 += Rows)
                {
                    for (int i = 0; i < Rows; i++) rows[i] = vXi + (long)(r0 + i) * g.CP;
                    for (int k0 = 0; k0 < g.KP; k0 += Cols)
                        ConvMicroKernels.ProductTile(rows, uXi + k0, g.KP, g.Cin, mXi + (long)r0 * g.KP + k0, g.KP);
                }
            }
            OutputTransform(g, m, _bias, outHwc, _tileOut.Pointer, t0, count);
        }
        for (int i = 0; i < images; i++)
        {
            float* output = _y + (long)(first + i) * g.Cout * g.OutPlane;
            FromChannelsLast(outHwc + (long)i * g.OutImage, _outOffsets.Pointer, output, g.Cout, g.OutPlane);
            if (_statsShift != null) AddStatistics(g, output, _statsShift, scratch.Stats.Pointer);
        }
    }

    /// <summary>Per output channel, Σ(y − shift) and Σ(y − shift)² over one image, added to the worker's totals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddStatistics(in WinogradGeometry g, float* output, float* shift, double* totals)
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
        _x = x;
        _dy = dy;
        _dx = dx;
        _dyProducer = dyProducer;
        _statsShift = null;
        _doDx = dx != null;
        _doDw = dWeight != null;
        _doDb = dBias != null;
        Begin(s);
        var g = _g;
        if (_doDx) TransformWeights(w, _ut.Ensure(g.Points * g.KP * g.CP), transposed: true);
        _pool.For(g.Items(s.Batch), _backwardItem);

        if (_doDw)
        {
            // Σ over workers, in worker order, then dg = Gᵀ·dU·G per channel pair; a parallel loop over output
            // channels (each writes its own rows), where it used to leave the other workers idle for ~2 % of a step
            _partials = 0;
            foreach (var scratch in _scratch)
                if (scratch.Call == _call) _partialU[_partials++] = (nint)scratch.PartialU.Pointer;
            _dWeight = dWeight;
            if (_partials > 0) _pool.For(g.Cout, _weightGradientRow);
        }
        if (_doDb)
            foreach (var scratch in _scratch)
                if (scratch.Call == _call)
                    TensorPrimitives.Add(new ReadOnlySpan<float>(dBias, g.Cout),
                        new ReadOnlySpan<float>(scratch.PartialB.Pointer, g.Cout), new Span<float>(dBias, g.Cout));
    }

    private void BackwardItem(int item, int worker)
    {
        var scratch = Prepare(worker);
        var g = _g;
        var (first, images) = Images(item);
        float* dm = scratch.M.Pointer, v = scratch.V.Pointer, hwc = scratch.Hwc.Pointer, outHwc = scratch.Hwc2.Pointer;
        float* dxHwc = scratch.DxHwc.Pointer;
        for (int i = 0; i < images; i++)
        {
            int n = first + i;
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
            ToChannelsLast(dOut, g.Cout, g.OutPlane, _outOffsets.Pointer, outHwc + (long)i * g.OutImage);
            if (_doDw) ToChannelsLast(_x + (long)n * g.Cin * g.InPlane, g.Cin, g.InPlane, _inOffsets.Pointer, hwc + (long)i * g.InImage);
        }
        if (_doDx) new Span<float>(dxHwc, g.HwcLength).Clear();
        float** rows = stackalloc float*[Rows];
        int tiles = images * g.TilesPerImage;
        for (int t0 = 0; t0 < tiles; t0 += ChunkTiles)
        {
            int count = Math.Min(ChunkTiles, tiles - t0);
            OutputGradientTransform(g, outHwc, _tileOut.Pointer, dm, t0, count);
            if (_doDw)
            {
                // V again, as the forward made it: keeping it for the whole batch would cost (m + 2)²/m² = 2.25–4× the input's memory
                InputTransform(g, hwc, _tileIn.Pointer, v, t0, count);
                // dU[ξ] += V[ξ]ᵀ·dM[ξ] over these tiles: rows are input channels, columns output channels.
                float* partial = scratch.PartialU.Pointer;
                for (int xi = 0; xi < g.Points; xi++)
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
                for (int xi = 0; xi < g.Points; xi++)
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
                InputGradientTransform(g, dv, dxHwc, _tileIn.Pointer, t0, count);
            }
        }
        if (_doDx)
            for (int i = 0; i < images; i++)
                FromChannelsLast(dxHwc + (long)i * g.InImage, _inOffsets.Pointer, _dx + (long)(first + i) * g.Cin * g.InPlane, g.Cin, g.InPlane);
    }

    // ------------------------------------------------------------------ the transforms of the call's tile size

    // Generic over the vector width: 16 channels a vector where AVX-512 runs natively and the channel count is a
    // multiple of 16 (Conv-4's 64 and 128), else 8. The lanes are channels, so the width changes no value
    // (FloatLanes; tests/Nn/FloatLanesKernelTests.cs). F(2×2)'s transforms, on the smallest maps, stay 8 wide.

    private static bool Wide(int channels) => FloatLanes.Wide && channels % Lanes16.Count == 0;

    private static void InputTransform(in WinogradGeometry g, float* hwc, int* tileIn, float* v, int t0, int count)
    {
        if (Wide(g.Cin)) InputTransform<Lanes16>(g, hwc, tileIn, v, t0, count);
        else InputTransform<Lanes8>(g, hwc, tileIn, v, t0, count);
    }

    private static void InputTransform<TV>(in WinogradGeometry g, float* hwc, int* tileIn, float* v, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        if (g.Tile == WinogradF7.Tile) WinogradF7.InputTransform<TV>(g, hwc, tileIn, v, t0, count);
        else if (g.Tile == WinogradF4.Tile) WinogradF4.InputTransform<TV>(g, hwc, tileIn, v, t0, count);
        else WinogradF2.InputTransform(g, hwc, tileIn, v, t0, count);
    }

    private static void OutputTransform(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut, int t0, int count)
    {
        if (Wide(g.Cout)) OutputTransform<Lanes16>(g, m, bias, hwc, tileOut, t0, count);
        else OutputTransform<Lanes8>(g, m, bias, hwc, tileOut, t0, count);
    }

    private static void OutputTransform<TV>(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        if (g.Tile == WinogradF7.Tile) WinogradF7.OutputTransform<TV>(g, m, bias, hwc, tileOut, t0, count);
        else if (g.Tile == WinogradF4.Tile) WinogradF4.OutputTransform<TV>(g, m, bias, hwc, tileOut, t0, count);
        else WinogradF2.OutputTransform(g, m, bias, hwc, tileOut, t0, count);
    }

    private static void OutputGradientTransform(in WinogradGeometry g, float* hwc, int* tileOut, float* dm, int t0, int count)
    {
        if (Wide(g.Cout)) OutputGradientTransform<Lanes16>(g, hwc, tileOut, dm, t0, count);
        else OutputGradientTransform<Lanes8>(g, hwc, tileOut, dm, t0, count);
    }

    private static void OutputGradientTransform<TV>(in WinogradGeometry g, float* hwc, int* tileOut, float* dm, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        if (g.Tile == WinogradF7.Tile) WinogradF7.OutputGradientTransform<TV>(g, hwc, tileOut, dm, t0, count);
        else if (g.Tile == WinogradF4.Tile) WinogradF4.OutputGradientTransform<TV>(g, hwc, tileOut, dm, t0, count);
        else WinogradF2.OutputGradientTransform(g, hwc, tileOut, dm, t0, count);
    }

    private static void InputGradientTransform(in WinogradGeometry g, float* dv, float* hwc, int* tileIn, int t0, int count)
    {
        if (Wide(g.Cin)) InputGradientTransform<Lanes16>(g, dv, hwc, tileIn, t0, count);
        else InputGradientTransform<Lanes8>(g, dv, hwc, tileIn, t0, count);
    }

    private static void InputGradientTransform<TV>(in WinogradGeometry g, float* dv, float* hwc, int* tileIn, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        if (g.Tile == WinogradF7.Tile) WinogradF7.InputGradientTransform<TV>(g, dv, hwc, tileIn, t0, count);
        else if (g.Tile == WinogradF4.Tile) WinogradF4.InputGradientTransform<TV>(g, dv, hwc, tileIn, t0, count);
        else WinogradF2.InputGradientTransform(g, dv, hwc, tileIn, t0, count);
    }

    // ------------------------------------------------------------------ weights

    /// <summary>
    /// U[ξ][c][k] = (G g Gᵀ)[ξ] for the 3×3 kernel g = w[k][c] (the forward's); with <paramref name="transposed"/>,
    /// Uᵀ[ξ][k][c] instead (the input gradient's). Padding columns stay zero, so the products' extra columns are.
    /// A parallel loop over the outer index: one kernel transform per channel pair, in double.
    /// </summary>
    private void TransformWeights(float* w, float* u, bool transposed)
    {
        var g = _g;
        new Span<float>(u, g.Points * g.CP * g.KP).Clear();
        _weights = w;
        _transformed = u;
        _transposed = transposed;
        _pool.For(transposed ? g.Cout : g.Cin, _transformWeightsRow);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformWeightsRow(int a, int worker)
    {
        var g = _g;
        bool transposed = _transposed;
        long xiStride = (long)g.CP * g.KP;
        float* t = stackalloc float[g.Points];
        // the inner loop walks consecutive destinations, so each point's stores share cache lines
        int inner = transposed ? g.Cin : g.Cout;
        int b = 0;
        if (g.Tile == WinogradF7.Tile)
        {
            // four kernels a call: consecutive b are consecutive destinations, their kernels a fixed stride apart
            long stride = transposed ? 9 : (long)g.Cin * 9;
            for (; b + 4 <= inner; b += 4)
            {
                int k = transposed ? a : b, c = transposed ? b : a;
                long at = transposed ? (long)k * g.CP + c : (long)c * g.KP + k;
                WinogradF7.KernelTransform4(_weights + ((long)k * g.Cin + c) * 9, stride, _transformed + at, xiStride);
            }
        }
        for (; b < inner; b++)
        {
            int k = transposed ? a : b, c = transposed ? b : a;
            float* kernel = _weights + ((long)k * g.Cin + c) * 9;
            if (g.Tile == WinogradF7.Tile) WinogradF7.KernelTransform(kernel, t);
            else if (g.Tile == WinogradF4.Tile) WinogradF4.KernelTransform(kernel, t);
            else WinogradF2.KernelTransform(kernel, t);
            long at = transposed ? (long)k * g.CP + c : (long)c * g.KP + k;
            for (int xi = 0; xi < g.Points; xi++) _transformed[xi * xiStride + at] = t[xi];
        }
    }

    /// <summary>
    /// dWeight[k][c] += Gᵀ dU[·][c][k] G for output channel k, the adjoint of the kernel transform, in double; dU is
    /// the workers' partial sums added in worker order (the same float additions, element by element, as adding whole
    /// buffers in that order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightGradientRow(int k, int worker)
    {
        var g = _g;
        double* d = stackalloc double[g.Points];
        double* dg = stackalloc double[9];
        for (int c = 0; c < g.Cin; c++)
        {
            for (int xi = 0; xi < g.Points; xi++)
            {
                long at = ((long)xi * g.CP + c) * g.KP + k;
                float sum = ((float*)_partialU[0])[at];
                for (int p = 1; p < _partials; p++) sum += ((float*)_partialU[p])[at];
                d[xi] = sum;
            }
            if (g.Tile == WinogradF7.Tile) WinogradF7.KernelGradient(d, dg);
            else if (g.Tile == WinogradF4.Tile) WinogradF4.KernelGradient(d, dg);
            else WinogradF2.KernelGradient(d, dg);
            float* dst = _dWeight + ((long)k * g.Cin + c) * 9;
            for (int i = 0; i < 9; i++) dst[i] += (float)dg[i];
        }
    }

    // ------------------------------------------------------------------ layouts

    /// <summary>
    /// image[c][p] → hwc[offsets[p] + c] for the plane's positions p (offsets place them in a channels-last buffer,
    /// with its border and row strides); the rest of the buffer is left as it is. Eight channels by eight positions
    /// at a time through an in-register transpose, the plane's last block overlapping the one before it rather than
    /// running past the plane (planes under eight positions go one value at a time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    // ------------------------------------------------------------------ per-worker scratch

    private sealed class Scratch
    {
        public int Call;
        public readonly PinnedScratch<float> Hwc = new();      // the work item's padded inputs, channels last
        public readonly PinnedScratch<float> DxHwc = new();    // their padded gradients, channels last
        public readonly PinnedScratch<float> Hwc2 = new();     // the outputs (or their gradients), channels last
        public readonly PinnedScratch<float> V = new();        // [ξ][t][c]: the transformed inputs (or their gradient)
        public readonly PinnedScratch<float> M = new();        // [ξ][t][k]: the products (or the output gradient's transform)
        public readonly PinnedScratch<float> PartialU = new(); // [ξ][c][k]: this worker's Σ Vᵀ·dM
        public readonly PinnedScratch<float> PartialB = new();
        public readonly PinnedScratch<float> Gradient = new(); // one image's produced output gradient
        public readonly PinnedScratch<double> Stats = new();
    }

    /// <summary>
    /// On a worker's first work item of a call: zero what must start at zero (the padded borders, the tile rows past the
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
        scratch.Hwc2.EnsureZeroed(g.OutHwcLength);
        scratch.V.EnsureZeroed(g.Points * g.VXi);
        scratch.M.EnsureZeroed(g.Points * g.MXi);
        if (_doDx) scratch.DxHwc.Ensure(g.HwcLength);
        if (_doDw) scratch.PartialU.EnsureZeroed(g.Points * g.CP * g.KP);
        if (_doDb) scratch.PartialB.EnsureZeroed(g.Cout);
        if (_statsShift != null) scratch.Stats.EnsureZeroed(2 * g.Cout);
        return scratch;
    }
}
