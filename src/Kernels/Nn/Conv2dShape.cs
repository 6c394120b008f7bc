namespace Lshk.Kernels.Nn;

/// <summary>
/// The geometry of a 2-d convolution like PyTorch's <c>Conv2d</c>: input N×Cin×H×W, weights Cout×Cin×K×K (OIHW),
/// output N×Cout×OH×OW with OH = ⌊(H + 2·padding − K)/stride⌋ + 1 (and the same for the width).
/// </summary>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int Kernel = 3, int Stride = 1, int Padding = 1)
{
    public int OutHeight => (Height + 2 * Padding - Kernel) / Stride + 1;
    public int OutWidth => (Width + 2 * Padding - Kernel) / Stride + 1;

    /// <summary>Weights per output channel: Cin·K·K.</summary>
    public int Taps => InChannels * Kernel * Kernel;

    public int InputLength => Batch * InChannels * Height * Width;
    public int OutputLength => Batch * OutChannels * OutHeight * OutWidth;
    public int WeightLength => OutChannels * Taps;

    /// <summary>The output as an activation shape (what a batch norm after the convolution sees).</summary>
    public Nchw Output => new(Batch, OutChannels, OutHeight, OutWidth);

    /// <summary>Throws a one-line error if the geometry is impossible.</summary>
    public void Validate()
    {
        Check.NonNegative(Batch, "batch");
        Check.Positive(InChannels, "input channels");
        Check.Positive(Height, "input height");
        Check.Positive(Width, "input width");
        Check.Positive(OutChannels, "output channels");
        Check.Positive(Kernel, "kernel size");
        Check.Positive(Stride, "stride");
        Check.NonNegative(Padding, "padding");
        if (Height + 2 * Padding < Kernel || Width + 2 * Padding < Kernel)
            throw new ArgumentException(
                $"a {Kernel}×{Kernel} kernel does not fit a {Height}×{Width} input with padding {Padding}");
        if ((long)Batch * InChannels * Height * Width > int.MaxValue || (long)Batch * OutChannels * OutHeight * OutWidth > int.MaxValue)
            throw new ArgumentException("convolution tensors over 2^31 values are not supported");
    }
}

/// <summary>An NCHW activation shape (batch norm, ReLU, pooling, dropout).</summary>
public readonly record struct Nchw(int Batch, int Channels, int Height, int Width)
{
    public int Plane => Height * Width;
    public int Length => Batch * Channels * Height * Width;

    /// <summary>The output of 2×2 max-pooling with stride 2, rounded down like PyTorch's default.</summary>
    public Nchw Pooled => new(Batch, Channels, Height / 2, Width / 2);

    public void Validate()
    {
        Check.NonNegative(Batch, "batch");
        Check.Positive(Channels, "channels");
        Check.Positive(Height, "height");
        Check.Positive(Width, "width");
        if ((long)Batch * Channels * Height * Width > int.MaxValue)
            throw new ArgumentException("tensors over 2^31 values are not supported");
    }

    public override string ToString() => $"{Batch}×{Channels}×{Height}×{Width}";
}
