using System.Runtime.CompilerServices;
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
    /// The zero-padded input of the image the worker's last <see cref="Image"/> call computed: Cin planes of
    /// <see cref="PaddedHeight"/> × <see cref="PaddedWidth"/>, then <see cref="Slack"/> zeros, so a vector load at any
    /// tap offset of any output position stays inside the buffer, also when the positions are taken as one flat run
    /// of OH × <see cref="PaddedWidth"/> rounded up to whole vectors (<see cref="RecomputedConvGradient"/>).
    /// </summary>
    public float* PaddedInput(int worker) => _padded[worker].Pointer;

    public int PaddedWidth => _wp;

    /// <summary>Floats in <see cref="PaddedInput"/>, its slack included.</summary>
    public int PaddedLength => _s.InChannels * _hp * _wp + Slack;

    /// <summary>
    /// Zeros after the padded planes: a vector from the last flat position (up to 7 floats past OH × PaddedWidth) at
    /// the last tap (K − 1 rows and columns on) ends at most K + 6 floats past the planes, and a 16-wide vector from
    /// the last row's last segment at most K + 14.
    /// </summary>
    private int Slack => 2 * Vector512<float>.Count + _s.Kernel;

    public int PaddedHeight => _hp;

    /// <summary>offsets[t] = where tap t (channel, row, column order) of output position (0, 0) sits in <see cref="PaddedInput"/>.</summary>
    public void TapOffsets(int* offsets)
    {
        for (int c = 0, t = 0; c < _s.InChannels; c++)
            for (int kh = 0; kh < _s.Kernel; kh++)
                for (int kw = 0; kw < _s.Kernel; kw++, t++)
                    offsets[t] = c * _hp * _wp + kh * _wp + kw;
    }

    /// <summary>Image n's input, zero-padded, into the worker's <see cref="PaddedInput"/> (returned).</summary>
    public float* PadInput(int n, int worker)
    {
        var s = _s;
        int plane = s.Height * s.Width;
        float* padded = _padded[worker].Ensure(PaddedLength);
        if (_preparedCall[worker] != _call)
        {
            // zero borders (and the slack a last vector reads past the grid) once per call; interiors are rewritten
            new Span<float>(padded, PaddedLength).Clear();
            _preparedCall[worker] = _call;
        }
        float* input = _x + (long)n * s.InChannels * plane;
        for (int c = 0; c < s.InChannels; c++)
            for (int ih = 0; ih < s.Height; ih++)
                new ReadOnlySpan<float>(input + (long)c * plane + ih * s.Width, s.Width)
                    .CopyTo(new Span<float>(padded + (long)c * _hp * _wp + (ih + s.Padding) * _wp + s.Padding, s.Width));
        return padded;
    }

    /// <summary>
    /// Image n's output (Cout × OH × OW) in the worker's scratch, valid until the worker's next call.
    /// </summary>
    public float* Image(int n, int worker)
    {
        var s = _s;
        float* padded = PadInput(n, worker);
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        float* output = _images[worker].Ensure(s.OutChannels * oh * ow);
        if (s.InChannels == 1 && k == 3)
        {
            OneChannel3x3(padded, output);
            return output;
        }
        float* taps = stackalloc float[s.Taps];
        int* offsets = stackalloc int[s.Taps];
        TapOffsets(offsets);
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

    /// <summary>Output channels computed together by <see cref="OneChannel3x3"/>: independent chains for the FMA units to overlap.</summary>
    private const int ChannelBlock = 4;

    /// <summary>
    /// The one-channel 3×3 case (Conv-4's first block): for four output channels at a time, each row segment's nine
    /// shifted input vectors are loaded once and feed four independent chains of nine multiply-adds. One chain at a
    /// time left the nine dependent multiply-adds' latency (four cycles each) mostly unhidden: the recomputation ran at
    /// about a quarter of the multiply-add rate. Each value's chain is unchanged (from zero, taps in order, then the
    /// bias), so the bits are too; the lanes are output positions, so the width (<see cref="FloatLanes"/>: 16 on
    /// AVX-512, where a 28-wide row is two vectors instead of four) does not change them either.
    /// </summary>
    private void OneChannel3x3(float* padded, float* output)
    {
        if (FloatLanes.Wide) OneChannel3x3<Lanes16>(padded, output);
        else OneChannel3x3<Lanes8>(padded, output);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void OneChannel3x3<TV>(float* padded, float* output) where TV : unmanaged, IFloatLanes<TV>
    {
        var s = _s;
        int oh = s.OutHeight, ow = s.OutWidth, plane = oh * ow;
        int lanes = TV.Count;
        int co = 0;
        for (; co + ChannelBlock <= s.OutChannels; co += ChannelBlock)
        {
            float* w0 = _w + co * 9, w1 = w0 + 9, w2 = w1 + 9, w3 = w2 + 9;
            var b0 = TV.Broadcast(_bias == null ? 0f : _bias[co]);
            var b1 = TV.Broadcast(_bias == null ? 0f : _bias[co + 1]);
            var b2 = TV.Broadcast(_bias == null ? 0f : _bias[co + 2]);
            var b3 = TV.Broadcast(_bias == null ? 0f : _bias[co + 3]);
            float* o0 = output + (long)co * plane, o1 = o0 + plane, o2 = o1 + plane, o3 = o2 + plane;
            for (int r = 0; r < oh; r++)
            {
                float* r0 = padded + r * _wp, r1 = r0 + _wp, r2 = r1 + _wp;
                for (int j = 0; j < ow; j += lanes)
                {
                    var x = TV.Load(r0 + j);
                    var a0 = TV.MultiplyAdd(TV.Broadcast(w0[0]), x, TV.Zero); var a1 = TV.MultiplyAdd(TV.Broadcast(w1[0]), x, TV.Zero);
                    var a2 = TV.MultiplyAdd(TV.Broadcast(w2[0]), x, TV.Zero); var a3 = TV.MultiplyAdd(TV.Broadcast(w3[0]), x, TV.Zero);
                    x = TV.Load(r0 + j + 1);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[1]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[1]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[1]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[1]), x, a3);
                    x = TV.Load(r0 + j + 2);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[2]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[2]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[2]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[2]), x, a3);
                    x = TV.Load(r1 + j);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[3]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[3]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[3]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[3]), x, a3);
                    x = TV.Load(r1 + j + 1);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[4]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[4]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[4]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[4]), x, a3);
                    x = TV.Load(r1 + j + 2);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[5]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[5]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[5]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[5]), x, a3);
                    x = TV.Load(r2 + j);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[6]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[6]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[6]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[6]), x, a3);
                    x = TV.Load(r2 + j + 1);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[7]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[7]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[7]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[7]), x, a3);
                    x = TV.Load(r2 + j + 2);
                    a0 = TV.MultiplyAdd(TV.Broadcast(w0[8]), x, a0); a1 = TV.MultiplyAdd(TV.Broadcast(w1[8]), x, a1);
                    a2 = TV.MultiplyAdd(TV.Broadcast(w2[8]), x, a2); a3 = TV.MultiplyAdd(TV.Broadcast(w3[8]), x, a3);
                    int at = r * ow + j, tail = Math.Min(lanes, ow - j);
                    (a0 + b0).StoreFirst(o0 + at, tail); (a1 + b1).StoreFirst(o1 + at, tail);
                    (a2 + b2).StoreFirst(o2 + at, tail); (a3 + b3).StoreFirst(o3 + at, tail);
                }
            }
        }
        for (; co < s.OutChannels; co++) OneChannel3x3Single(padded, output, co);
    }

    /// <summary>One output channel of <see cref="OneChannel3x3"/> (the channels left over from its blocks of four).</summary>
    private void OneChannel3x3Single(float* padded, float* output, int co)
    {
        var s = _s;
        int oh = s.OutHeight, ow = s.OutWidth, plane = oh * ow;
        const int lanes = 8;
        float* w = _w + co * 9;
        var bias = Vector256.Create(_bias == null ? 0f : _bias[co]);
        for (int r = 0; r < oh; r++)
        {
            float* r0 = padded + r * _wp, r1 = r0 + _wp, r2 = r1 + _wp;
            for (int j = 0; j < ow; j += lanes)
            {
                // the grid path's chain: from zero, taps in order, then the bias
                var acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[0]), Vector256.Load(r0 + j), Vector256<float>.Zero);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[1]), Vector256.Load(r0 + j + 1), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[2]), Vector256.Load(r0 + j + 2), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[3]), Vector256.Load(r1 + j), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[4]), Vector256.Load(r1 + j + 1), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[5]), Vector256.Load(r1 + j + 2), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[6]), Vector256.Load(r2 + j), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[7]), Vector256.Load(r2 + j + 1), acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[8]), Vector256.Load(r2 + j + 2), acc);
                acc += bias;
                int tail = Math.Min(lanes, ow - j);
                if (tail == lanes) acc.Store(output + (long)co * plane + r * ow + j);
                else Lshk.Kernels.Cpu.Masked256.StoreFirst(output + (long)co * plane + r * ow + j, tail, acc);
            }
        }
    }
}
