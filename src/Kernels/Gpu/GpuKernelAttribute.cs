namespace Lshk.Kernels.Gpu;

/// <summary>
/// Marks a method as an ILGPU kernel entry point. Every method carrying it must be listed in
/// <see cref="KernelRegistry"/> (a test enforces this), so the PTX check covers every kernel.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
internal sealed class GpuKernelAttribute : Attribute
{
}
