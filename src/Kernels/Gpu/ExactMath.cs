using ILGPU.Runtime.Cuda;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Float multiply and add that are never fused into one FMA, on any device.
/// ILGPU 1.5.3 emits <c>mul.f32</c>/<c>add.f32</c> without a rounding modifier, and PTX allows the driver's
/// assembler to contract such a pair into <c>fma.rn.f32</c> (one rounding instead of two), which would change
/// the projection's last bit. The <c>.rn</c> forms are never contracted, so on CUDA we emit them directly; on
/// other accelerators the plain C# operators already round after each operation.
/// </summary>
internal static class ExactMath
{
    public static float Mul(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float product, a, b);
            return product;
        }
        return a * b;
    }

    public static float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float sum, a, b);
            return sum;
        }
        return a + b;
    }

    public static float Sub(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sub.rn.f32 %0, %1, %2;", out float difference, a, b);
            return difference;
        }
        return a - b;
    }

    /// <summary>Correctly rounded division (PTX's plain <c>div.f32</c> may be the approximate form).</summary>
    public static float Div(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("div.rn.f32 %0, %1, %2;", out float quotient, a, b);
            return quotient;
        }
        return a / b;
    }

    /// <summary>Correctly rounded square root, as <see cref="MathF.Sqrt"/> on the CPU.</summary>
    public static float Sqrt(float a)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sqrt.rn.f32 %0, %1;", out float root, a);
            return root;
        }
        return MathF.Sqrt(a);
    }
}
