using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>Adam and SGD-with-momentum updates on the CPU (parameter tensors are small: one SIMD pass each).</summary>
internal static unsafe class CpuOptimisers
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Adam(float* p, float* g, float* m, float* v, int count, in AdamStep step)
    {
        float b1 = step.Beta1, b2 = step.Beta2, wd = step.WeightDecay, eps = step.Epsilon;
        float stepSize = step.StepSize, invBc2 = step.InvSqrtBiasCorrection2;
        int i = 0;
        if (!Vector512.IsHardwareAccelerated)
            i = Adam256(p, g, m, v, count, b1, b2, wd, eps, stepSize, invBc2);
        var vb1 = Vector512.Create(b1);
        var vb2 = Vector512.Create(b2);
        var v1b1 = Vector512.Create(1f - b1);
        var v1b2 = Vector512.Create(1f - b2);
        var vwd = Vector512.Create(wd);
        var veps = Vector512.Create(eps);
        var vbc = Vector512.Create(invBc2);
        var vstep = Vector512.Create(stepSize);
        for (; i <= count - 16; i += 16)
        {
            var pi = Vector512.Load(p + i);
            var gi = Vector512.FusedMultiplyAdd(vwd, pi, Vector512.Load(g + i));
            var mi = Vector512.FusedMultiplyAdd(vb1, Vector512.Load(m + i), v1b1 * gi);
            var vi = Vector512.FusedMultiplyAdd(vb2, Vector512.Load(v + i), v1b2 * gi * gi);
            mi.Store(m + i);
            vi.Store(v + i);
            var denom = Vector512.FusedMultiplyAdd(Vector512.Sqrt(vi), vbc, veps);
            (pi - vstep * mi / denom).Store(p + i);
        }
        for (; i < count; i++)
        {
            float gi = MathF.FusedMultiplyAdd(wd, p[i], g[i]);
            float mi = MathF.FusedMultiplyAdd(b1, m[i], (1f - b1) * gi);
            float vi = MathF.FusedMultiplyAdd(b2, v[i], (1f - b2) * gi * gi);
            m[i] = mi;
            v[i] = vi;
            float denom = MathF.FusedMultiplyAdd(MathF.Sqrt(vi), invBc2, eps);
            p[i] -= stepSize * mi / denom;
        }
    }

    /// <summary>
    /// Adam's vector loop on Vector256 (without AVX-512, where Vector512 runs as halves through memory): the same
    /// lane arithmetic as the Vector512 loop and the scalar tail. Returns the count of values done.
    /// </summary>
    private static int Adam256(float* p, float* g, float* m, float* v, int count, float b1, float b2, float wd, float eps,
        float stepSize, float invBc2)
    {
        var vb1 = Vector256.Create(b1);
        var vb2 = Vector256.Create(b2);
        var v1b1 = Vector256.Create(1f - b1);
        var v1b2 = Vector256.Create(1f - b2);
        var vwd = Vector256.Create(wd);
        var veps = Vector256.Create(eps);
        var vbc = Vector256.Create(invBc2);
        var vstep = Vector256.Create(stepSize);
        int i = 0;
        for (; i <= count - 8; i += 8)
        {
            var pi = Vector256.Load(p + i);
            var gi = Vector256.FusedMultiplyAdd(vwd, pi, Vector256.Load(g + i));
            var mi = Vector256.FusedMultiplyAdd(vb1, Vector256.Load(m + i), v1b1 * gi);
            var vi = Vector256.FusedMultiplyAdd(vb2, Vector256.Load(v + i), v1b2 * gi * gi);
            mi.Store(m + i);
            vi.Store(v + i);
            var denom = Vector256.FusedMultiplyAdd(Vector256.Sqrt(vi), vbc, veps);
            (pi - vstep * mi / denom).Store(p + i);
        }
        return i;
    }

    public static void Sgd(float* p, float* g, float* velocity, int count, in SgdStep step)
    {
        float lr = step.LearningRate, mu = step.Momentum, wd = step.WeightDecay;
        for (int i = 0; i < count; i++)
        {
            float gi = MathF.FusedMultiplyAdd(wd, p[i], g[i]);
            float vi = step.FirstStep ? gi : MathF.FusedMultiplyAdd(mu, velocity[i], gi);
            velocity[i] = vi;
            float direction = step.Nesterov ? MathF.FusedMultiplyAdd(mu, vi, gi) : vi;
            p[i] -= lr * direction;
        }
    }
}
