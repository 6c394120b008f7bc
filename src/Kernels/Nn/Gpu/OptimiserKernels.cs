using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>One optimiser update over Count parameters; M and V are Adam's moments (SGD uses M as its velocity).</summary>
internal readonly record struct OptimiserArgs(ArrayView<float> P, ArrayView<float> G, ArrayView<float> M, ArrayView<float> V,
    int Count, float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float StepSize,
    float InvSqrtBiasCorrection2, int Nesterov, int FirstStep);

internal static class OptimiserKernels
{
    /// <summary>PyTorch's Adam (see <see cref="AdamStep"/>), one thread per parameter.</summary>
    [GpuKernel]
    public static void Adam(OptimiserArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total)
        {
            float g = a.G[i] + a.WeightDecay * a.P[i];
            float m = a.Beta1 * a.M[i] + (1f - a.Beta1) * g;
            float v = a.Beta2 * a.V[i] + (1f - a.Beta2) * g * g;
            a.M[i] = m;
            a.V[i] = v;
            a.P[i] -= a.StepSize * m / (MathF.Sqrt(v) * a.InvSqrtBiasCorrection2 + a.Epsilon);
        }
    }

    /// <summary>PyTorch's SGD with momentum (see <see cref="SgdStep"/>), one thread per parameter.</summary>
    [GpuKernel]
    public static void Sgd(OptimiserArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total)
        {
            float g = a.G[i] + a.WeightDecay * a.P[i];
            float velocity = a.FirstStep != 0 ? g : a.Beta1 * a.M[i] + g;
            a.M[i] = velocity;
            a.P[i] -= a.LearningRate * (a.Nesterov != 0 ? g + a.Beta1 * velocity : velocity);
        }
    }
}
