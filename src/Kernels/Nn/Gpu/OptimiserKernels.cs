using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>One optimiser update over Count parameters; M and V are Adam's moments (SGD uses M as its velocity).</summary>
internal readonly struct OptimiserArgs(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, int count,
    float learningRate, float beta1, float beta2, float epsilon, float weightDecay, float stepSize, float invSqrtBiasCorrection2,
    int nesterov, int firstStep)
{
    public readonly ArrayView<float> P = p;
    public readonly ArrayView<float> G = g;
    public readonly ArrayView<float> M = m;
    public readonly ArrayView<float> V = v;
    public readonly int Count = count;
    public readonly float LearningRate = learningRate;
    public readonly float Beta1 = beta1;
    public readonly float Beta2 = beta2;
    public readonly float Epsilon = epsilon;
    public readonly float WeightDecay = weightDecay;
    public readonly float StepSize = stepSize;
    public readonly float InvSqrtBiasCorrection2 = invSqrtBiasCorrection2;
    public readonly int Nesterov = nesterov;
    public readonly int FirstStep = firstStep;
}

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
