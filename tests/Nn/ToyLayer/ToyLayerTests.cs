using Lshk.Kernels.Gpu;
using Lshk.Tests.Gpu;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Nn.Gpu;
using Lshk.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Tests.Nn.ToyLayer;

/// <summary>
/// The layer extension point end to end: a toy layer whose operation is registered in <see cref="NnOpRegistry"/> (one
/// entry; nothing added to <see cref="INnOps"/>) runs on the CPU and on the ILGPU simulator, inside a
/// <see cref="Sequential"/>, with gradients checked against finite differences and the backends against each other.
/// </summary>
public class ToyLayerTests
{
    static ToyLayerTests() =>
        NnOpRegistry.Register<IToyScaleOp>(ops => new CpuToyScale(ops), ops => new IlgpuToyScale(ops));

    private static readonly Nchw Shape = new(2, 3, 2, 2);

    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>L = Σ w·ReLU(toy(x)) through a Sequential; returns L, dL/dx and dL/da.</summary>
    private static (double Loss, float[] Dx, float Da) Run(INnOps ops, float[] x, float scale, float[] w)
    {
        var toy = new ToyScaleLayer(ops, scale);
        using var net = new Sequential(ops, [toy, new ReLU(ops)]);
        using var input = ops.Allocate(x.Length);
        input.CopyFrom(x);
        float[] y = net.Forward(input, Shape, training: true).ToArray();
        double loss = 0;
        for (int i = 0; i < y.Length; i++) loss += (double)w[i] * y[i];
        using var dy = ops.Allocate(w.Length);
        dy.CopyFrom(w);
        ops.Fill(toy.Scale.Grad, 0f);
        float[] dx = net.Backward(dy, inputGradient: true)!.ToArray();
        return (loss, dx, toy.Scale.Grad.ToArray()[0]);
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesOnTheCpu()
    {
        using var ops = new CpuNnOps(threads: 2);
        float[] x = Values(Shape.Length, 1), w = Values(Shape.Length, 2);
        const float scale = 0.75f;
        const float step = 1e-3f;
        var (_, dx, da) = Run(ops, x, scale, w);

        // dL/da by central differences in float64 of the loss (ReLU kinks are avoided: no x·a lies within the step of 0).
        Assert.All(x, v => Assert.True(Math.Abs(v * scale) > 4 * step));
        double numericDa = (Run(ops, x, scale + step, w).Loss - Run(ops, x, scale - step, w).Loss) / (2 * step);
        Assert.Equal(numericDa, da, 1e-3);
        for (int i = 0; i < x.Length; i += 3)
        {
            float[] up = (float[])x.Clone(), down = (float[])x.Clone();
            up[i] += step;
            down[i] -= step;
            double numeric = (Run(ops, up, scale, w).Loss - Run(ops, down, scale, w).Loss) / (2 * step);
            Assert.Equal(numeric, dx[i], 1e-3);
        }
    }

    [Trait(TestGpu.Trait, TestGpu.Kernels)]
    [Fact]
    public void TheGpuKernelAgreesWithTheCpuForm()
    {
        using var gpu = TestGpu.Open();
        using var gpuOps = new IlgpuNnOps(gpu);
        using var cpuOps = new CpuNnOps(threads: 2);
        float[] x = Values(Shape.Length, 3), w = Values(Shape.Length, 4);
        var onCpu = Run(cpuOps, x, -1.25f, w);
        var onGpu = Run(gpuOps, x, -1.25f, w);
        Assert.Equal(onCpu.Loss, onGpu.Loss, 1e-5);
        Assert.Equal(onCpu.Da, onGpu.Da, 1e-5f);
        for (int i = 0; i < x.Length; i++) Assert.Equal(onCpu.Dx[i], onGpu.Dx[i], 1e-6f);
        // Not a constant: the layer really scales (a = −1.25 flips which values ReLU keeps).
        Assert.NotEqual(Run(cpuOps, x, 1f, w).Loss, onCpu.Loss, 3);
    }

    [Fact]
    public void AnOperationThatIsNotRegisteredIsNamed()
    {
        using var ops = new CpuNnOps(threads: 1);
        var e = Assert.Throws<ArgumentException>(() => NnOpRegistry.Create<IDisposable>(ops));
        Assert.Contains("IDisposable is not registered", e.Message);
    }
}
