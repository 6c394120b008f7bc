using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// One image of a convolution with few taps (Conv-4's first block: one input channel, nine taps), recomputed into
/// a worker's scratch instead of read back from the batch output. That output is the largest tensor of the network
/// (600 × 64 × 28 × 28 floats, 120 MB, far past the caches), and the fused block used to read it three more times
/// after writing it (batch norm's pooling pass, its gradient sums, the input gradient); nine multiply-adds per value
/// are cheaper than a trip to memory.
///
/// The values are bit for bit those of <see cref="CpuConv2d"/>'s padded-grid path: each output is the same chain of
/// fused multiply-adds over the taps in (channel, row, column) order starting from zero, then plus the bias
/// (<c>CpuFusedBlockTests</c> checks this against the stored output). Vectors run along the output row.
/// </summary>
internal sealed unsafe class ConvRecompute
{
    /// <summary>
    /// The most taps (input channels × kernel²) worth recomputing: up to RGB input with a 3×3 kernel. Past that a
    /// value costs more multiply-adds than reading it back.
    /// </summary>
    public const int MaxTaps = 27;

    private readonly PinnedScratch<float>[] _padded, _images;
    private Conv2dShape _s;
    private float* _x, _w, _bias;
    private int _wp, _hp, _call;
    private readonly int[] _preparedCall;

    public ConvRecompute(int workers)
    {
        _padded = new PinnedScratch<float>[workers];
        _images = new PinnedScratch<float>[workers];
        _preparedCall = new int[workers];
        for (int i = 0; i < workers; i++) _padded[i] = new PinnedScratch<float>();
        for (int i = 0; i < _images.Length; i++) _images[i] = new PinnedScratch<float>();
    }

    /// <summary>Whether <paramref name="s"/> is a convolution this class recomputes (stride 1 on the padded grid, few taps).</summary>
    public static bool Applies(in Conv2dShape s) =>
        s.Stride == 1 && s.Padding <= s.Kernel - 1 && s.Taps <= MaxTaps && !WinogradConv.Applies(s);

    /// <summary>Sets the convolution whose images <see cref="Image"/> computes (the pointers must stay valid meanwhile).</summary>
    public void Begin(in Conv2dShape s, float* x, float* w, float* bias)
    {
        _s = s;
        _x = x;
        _w = w;
        _bias = bias;
        _wp = s.Width + 2 * s.Padding;
        _hp = s.Height + 2 * s.Padding;
        _call++;
    }

    /// <summary>
    /// Image n's output (Cout × OH × OW) in the worker's scratch, valid until the worker's next call.
    /// </summary>
    public float* Image(int n, int worker)
    {
        var s = _s;
        int plane = s.Height * s.Width;
        float* padded = _padded[worker].Ensure(s.InChannels * _hp * _wp + Vector256<float>.Count);
        if (_preparedCall[worker] != _call)
        {
            // zero borders (and the slack a last vector reads past the grid) once per call; interiors are rewritten
            new Span<float>(padded, s.InChannels * _hp * _wp + Vector256<float>.Count).Clear();
            _preparedCall[worker] = _call;
        }
        float* input = _x + (long)n * s.InChannels * plane;
        for (int c = 0; c < s.InChannels; c++)
            for (int ih = 0; ih < s.Height; ih++)
                new ReadOnlySpan<float>(input + (long)c * plane + ih * s.Width, s.Width)
                    .CopyTo(new Span<float>(padded + (long)c * _hp * _wp + (ih + s.Padding) * _wp + s.Padding, s.Width));

        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        float* output = _images[worker].Ensure(s.OutChannels * oh * ow);
        if (s.InChannels == 1 && k == 3)
        {
            OneChannel3x3(padded, output);
            return output;
        }
        float* taps = stackalloc float[s.Taps];
        int* offsets = stackalloc int[s.Taps];
        for (int c = 0, t = 0; c < s.InChannels; c++)
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++, t++)
                    offsets[t] = c * _hp * _wp + kh * _wp + kw;
        const int lanes = 8;
        for (int co = 0; co < s.OutChannels; co++)
        {
            for (int t = 0; t < s.Taps; t++) taps[t] = _w[(long)co * s.Taps + t];
            var bias = Vector256.Create(_bias == null ? 0f : _bias[co]);
            float* outPlane = output + (long)co * oh * ow;
            for (int r = 0; r < oh; r++)
            {
                float* row = padded + r * _wp;
                for (int j = 0; j < ow; j += lanes)
                {
                    var acc = Vector256<float>.Zero;
                    for (int t = 0; t < s.Taps; t++)
                        acc = Vector256.FusedMultiplyAdd(Vector256.Create(taps[t]), Vector256.Load(row + offsets[t] + j), acc);
                    acc += bias;
                    if (j + lanes <= ow) acc.Store(outPlane + r * ow + j);
                    else Lshk.Kernels.Cpu.Masked256.StoreFirst(outPlane + r * ow + j, ow - j, acc);
                }
            }
        }
        return output;
    }

    /// <summary>
    /// The one-channel 3×3 case (Conv-4's first block): each eight-wide row segment's nine shifted input vectors are
    /// loaded once and serve every output channel, so the work is the nine multiply-adds per value and little else.
    /// </summary>
    private void OneChannel3x3(float* padded, float* output)
    {
        var s = _s;
        int oh = s.OutHeight, ow = s.OutWidth, plane = oh * ow;
        const int lanes = 8;
        for (int r = 0; r < oh; r++)
        {
            float* r0 = padded + r * _wp, r1 = r0 + _wp, r2 = r1 + _wp;
            for (int j = 0; j < ow; j += lanes)
            {
                var x0 = Vector256.Load(r0 + j); var x1 = Vector256.Load(r0 + j + 1); var x2 = Vector256.Load(r0 + j + 2);
                var x3 = Vector256.Load(r1 + j); var x4 = Vector256.Load(r1 + j + 1); var x5 = Vector256.Load(r1 + j + 2);
                var x6 = Vector256.Load(r2 + j); var x7 = Vector256.Load(r2 + j + 1); var x8 = Vector256.Load(r2 + j + 2);
                int tail = Math.Min(lanes, ow - j);
                float* o = output + r * ow + j;
                for (int co = 0; co < s.OutChannels; co++)
                {
                    float* w = _w + co * 9;
                    // the grid path's chain: from zero, taps in order, then the bias
                    var acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[0]), x0, Vector256<float>.Zero);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[1]), x1, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[2]), x2, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[3]), x3, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[4]), x4, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[5]), x5, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[6]), x6, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[7]), x7, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[8]), x8, acc);
                    acc += Vector256.Create(_bias == null ? 0f : _bias[co]);
                    if (tail == lanes) acc.Store(o + (long)co * plane);
                    else Lshk.Kernels.Cpu.Masked256.StoreFirst(o + (long)co * plane, tail, acc);
                }
            }
        }
    }
}
