namespace Lshk.Data.Imaging;

/// <summary>
/// Antialiased resizing of float image planes, separable (rows, then columns). Shrinking averages the input area
/// that each output pixel covers, with fractional coverage at the edges (a box filter of the output pixel's size,
/// as OpenCV's INTER_AREA), so thin strokes fade instead of disappearing and the mean value is preserved.
/// Enlarging interpolates linearly between pixel centres (half-pixel aligned, edges clamped).
/// A resizer is built for one (input, output) size and can be used from many threads at once.
/// </summary>
public sealed class AreaResize
{
    private readonly AxisWeights _rows, _cols;

    public AreaResize(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inHeight < 1 || inWidth < 1 || outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"cannot resize {inHeight}×{inWidth} to {outHeight}×{outWidth}");
        InHeight = inHeight; InWidth = inWidth; OutHeight = outHeight; OutWidth = outWidth;
        _rows = AxisWeights.Create(inHeight, outHeight);
        _cols = AxisWeights.Create(inWidth, outWidth);
    }

    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Resizes <paramref name="channels"/> planes of InHeight×InWidth into planes of OutHeight×OutWidth.</summary>
    public void Apply(ReadOnlySpan<float> source, int channels, Span<float> destination)
    {
        int inPlane = InHeight * InWidth, outPlane = OutHeight * OutWidth;
        if (source.Length != channels * inPlane || destination.Length != channels * outPlane)
            throw new ArgumentException("plane sizes do not match the resizer");
        float[] temp = new float[InHeight * OutWidth];
        for (int c = 0; c < channels; c++)
        {
            var src = source.Slice(c * inPlane, inPlane);
            var dst = destination.Slice(c * outPlane, outPlane);
            // Horizontal pass: every input row → OutWidth values.
            for (int y = 0; y < InHeight; y++)
                _cols.Apply(src.Slice(y * InWidth, InWidth), 1, temp.AsSpan(y * OutWidth, OutWidth), 1);
            // Vertical pass: every column of temp (stride OutWidth) → OutHeight values.
            for (int x = 0; x < OutWidth; x++)
                _rows.Apply(temp.AsSpan(x), OutWidth, dst.Slice(x), OutWidth);
        }
    }

    /// <summary>For each output index along one axis: the input indices it reads and their weights (summing to 1).</summary>
    private sealed class AxisWeights
    {
        private readonly int[] _start, _count;
        private readonly float[][] _weights;

        private AxisWeights(int[] start, int[] count, float[][] weights) { _start = start; _count = count; _weights = weights; }

        public static AxisWeights Create(int inSize, int outSize)
        {
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new float[outSize][];
            for (int o = 0; o < outSize; o++)
            {
                var taps = new List<(int Index, double Weight)>();
                if (outSize <= inSize)
                {
                    // Output pixel o covers input interval [o·s, (o+1)·s) with s = in/out; weight = overlap / s.
                    double scale = (double)inSize / outSize;
                    double lo = o * scale, hi = (o + 1) * scale;
                    for (int i = (int)Math.Floor(lo); i < Math.Min(inSize, (int)Math.Ceiling(hi)); i++)
                    {
                        double overlap = Math.Min(hi, i + 1) - Math.Max(lo, i);
                        if (overlap > 1e-12) taps.Add((i, overlap / scale));
                    }
                }
                else
                {
                    // Centre of output pixel o in input coordinates; linear between the two nearest input centres.
                    double x = (o + 0.5) * inSize / outSize - 0.5;
                    int i0 = (int)Math.Floor(x);
                    double t = x - i0;
                    int a = Math.Clamp(i0, 0, inSize - 1), b = Math.Clamp(i0 + 1, 0, inSize - 1);
                    if (a == b) taps.Add((a, 1.0));
                    else { taps.Add((a, 1 - t)); taps.Add((b, t)); }
                }
                start[o] = taps[0].Index;
                count[o] = taps.Count;
                // Taps are consecutive input indices, so one start and a weight list describe them.
                double sum = taps.Sum(t => t.Weight);
                weights[o] = taps.Select(t => (float)(t.Weight / sum)).ToArray();
            }
            return new AxisWeights(start, count, weights);
        }

        public void Apply(ReadOnlySpan<float> input, int inStride, Span<float> output, int outStride)
        {
            for (int o = 0; o < _start.Length; o++)
            {
                float[] w = _weights[o];
                int at = _start[o] * inStride;
                float sum = 0;
                for (int k = 0; k < _count[o]; k++, at += inStride) sum += w[k] * input[at];
                output[o * outStride] = sum;
            }
        }
    }
}
