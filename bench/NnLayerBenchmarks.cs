using BenchmarkDotNet.Attributes;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Bench;

/// <summary>
/// Forward and backward of every layer of Conv-4 at the training batch (600 images of 28×28) on the CPU operations,
/// one benchmark class per layer kind, with the shapes of each block (Block = 0..3: 28×28, 14×14, 7×7, 3×3 inputs).
/// Run: dotnet run -c Release --project bench -- --filter '*Nn*'
/// </summary>
public abstract class NnBenchmarkBase
{
    [Params(0, 1, 2, 3)] public int Block { get; set; }
    public const int Batch = 600;
    protected static readonly int[] Sizes = [28, 14, 7, 3];

    protected CpuNnOps Ops { get; private set; } = null!;

    /// <summary>The block's convolution (its input is the previous block's pooled output).</summary>
    protected Conv2dShape Conv => new(Batch, Block == 0 ? 1 : 64, Sizes[Block], Sizes[Block], 64);

    /// <summary>The block's activation shape after the convolution.</summary>
    protected Nchw Activation => new(Batch, 64, Sizes[Block], Sizes[Block]);

    protected NnBuffer Random(int length, ulong stream, float scale = 1f)
    {
        var buffer = Ops.Allocate(length);
        float[] values = RandomArrays.Gaussian(length, 7, stream);
        for (int i = 0; i < values.Length; i++) values[i] *= scale;
        buffer.CopyFrom(values);
        return buffer;
    }

    protected BatchNormBuffers BatchNorm() =>
        new(Random(64, 10), Random(64, 11), Ops.Allocate(64), Random(64, 12), Ops.Allocate(64), Ops.Allocate(64), Ops.Allocate(64),
            Ops.Allocate(64));

    [GlobalSetup]
    public void CreateOps()
    {
        Ops = new CpuNnOps();
        Setup();
    }

    protected abstract void Setup();

    [GlobalCleanup]
    public void Cleanup() => Ops.Dispose();
}

[MemoryDiagnoser]
public class NnConv2dBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _w = null!, _b = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!, _db = null!;

    /// <summary>true: blocks 1–3 by the direct path instead of Winograd's F(2×2, 3×3) (block 0 is always direct).</summary>
    [Params(false, true)] public bool Direct { get; set; }

    protected override void Setup()
    {
        var s = Conv;
        Ops.ForceDirectConv = Direct;
        _x = Random(s.InputLength, 1);
        _w = Random(s.WeightLength, 2, 0.05f);
        _b = Random(64, 3);
        _y = Ops.Allocate(s.OutputLength);
        _dy = Random(s.OutputLength, 4, 0.01f);
        _dx = Ops.Allocate(s.InputLength);
        _dw = Ops.Allocate(s.WeightLength);
        _db = Ops.Allocate(64);
    }

    [Benchmark] public void Forward() => Ops.Conv2dForward(Conv, _x, _w, _b, _y);

    /// <summary>Input, weight and bias gradients (the first block skips the input gradient, as in training).</summary>
    [Benchmark] public void Backward() => Ops.Conv2dBackward(Conv, _x, _w, _dy, Block == 0 ? null : _dx, _dw, _db);
}

[MemoryDiagnoser]
public class NnBatchNormBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _y = null!, _dy = null!, _dx = null!;
    private BatchNormBuffers _bn;

    protected override void Setup()
    {
        _x = Random(Activation.Length, 1);
        _y = Ops.Allocate(Activation.Length);
        _dy = Random(Activation.Length, 2);
        _dx = Ops.Allocate(Activation.Length);
        _bn = BatchNorm();
    }

    [Benchmark] public void ForwardTraining() => Ops.BatchNormTrainingForward(Activation, _x, _y, _bn, 0.1f, 1e-5f);
    [Benchmark] public void ForwardInference() => Ops.BatchNormInferenceForward(Activation, _x, _y, _bn, 1e-5f);
    [Benchmark] public void Backward() => Ops.BatchNormBackward(Activation, _x, _dy, _dx, _bn);
}

[MemoryDiagnoser]
public class NnReluBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _y = null!, _dy = null!, _dx = null!;

    protected override void Setup()
    {
        _x = Random(Activation.Length, 1);
        _y = Ops.Allocate(Activation.Length);
        _dy = Random(Activation.Length, 2);
        _dx = Ops.Allocate(Activation.Length);
        Ops.ReluForward(_x, _y, Activation.Length);
    }

    [Benchmark] public void Forward() => Ops.ReluForward(_x, _y, Activation.Length);
    [Benchmark] public void Backward() => Ops.ReluBackward(_y, _dy, _dx, Activation.Length);
}

[MemoryDiagnoser]
public class NnMaxPoolBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _y = null!, _dy = null!, _dx = null!;

    protected override void Setup()
    {
        _x = Random(Activation.Length, 1);
        _y = Ops.Allocate(Activation.Pooled.Length);
        _dy = Random(Activation.Pooled.Length, 2);
        _dx = Ops.Allocate(Activation.Length);
    }

    [Benchmark] public void Forward() => Ops.MaxPool2x2Forward(Activation, _x, _y);
    [Benchmark] public void Backward() => Ops.MaxPool2x2Backward(Activation, _x, _dy, _dx);
}

[MemoryDiagnoser]
public class NnDropoutBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _y = null!;
    private readonly DropoutMask _mask = new(0.8f, 1, 2);
    private int Length => Activation.Pooled.Length; // dropout follows the pool

    protected override void Setup()
    {
        _x = Random(Length, 1);
        _y = Ops.Allocate(Length);
    }

    [Benchmark] public void Forward() => Ops.DropoutForward(_x, _y, Length, _mask);
    [Benchmark] public void Backward() => Ops.DropoutBackward(_x, _y, Length, _mask);
}

/// <summary>The fused forms the training step uses: BN + ReLU + pool, and the whole conv block.</summary>
[MemoryDiagnoser]
public class NnFusedBlockBenchmark : NnBenchmarkBase
{
    private NnBuffer _x = null!, _w = null!, _b = null!, _convOut = null!, _pooled = null!, _dPooled = null!, _dx = null!,
        _dw = null!, _db = null!, _dConv = null!;
    private BatchNormBuffers _bn;

    protected override void Setup()
    {
        var s = Conv;
        _x = Random(s.InputLength, 1);
        _w = Random(s.WeightLength, 2, 0.05f);
        _b = Random(64, 3);
        _convOut = Ops.Allocate(s.OutputLength);
        _pooled = Ops.Allocate(Activation.Pooled.Length);
        _dPooled = Random(Activation.Pooled.Length, 4, 0.01f);
        _dx = Ops.Allocate(s.InputLength);
        _dw = Ops.Allocate(s.WeightLength);
        _db = Ops.Allocate(64);
        _dConv = Ops.Allocate(s.OutputLength);
        _bn = BatchNorm();
        Ops.ConvBlockForward(Conv, _x, _w, _b, _convOut, _pooled, _bn, true, 0.1f, 1e-5f);
    }

    [Benchmark] public void NormReluPoolForward() => Ops.BatchNormReluPoolForward(Activation, _convOut, _pooled, _bn, true, 0.1f, 1e-5f);
    [Benchmark] public void NormReluPoolBackward() => Ops.BatchNormReluPoolBackward(Activation, _convOut, _dPooled, _dConv, _bn);
    [Benchmark] public void ConvBlockForward() => Ops.ConvBlockForward(Conv, _x, _w, _b, _convOut, _pooled, _bn, true, 0.1f, 1e-5f);

    [Benchmark]
    public void ConvBlockBackward() =>
        Ops.ConvBlockBackward(Conv, _x, _w, _b, _convOut, _dPooled, Block == 0 ? null : _dx, _dw, _db, _bn);
}
