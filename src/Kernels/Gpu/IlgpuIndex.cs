using ILGPU;
using ILGPU.Runtime;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// What the device-side indices share: the backend whose lock guards every use, and the supports in device memory,
/// laid out element-major (element j of support s at j·Count + s) for the warp top-k kernel, freed once on Dispose.
/// </summary>
internal abstract class IlgpuIndex<T>(IlgpuBackend backend, int count) : IDisposable where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _supports;

    protected IlgpuBackend Backend => backend;

    public int Count => count;

    /// <summary>The supports' device memory; call under the backend's lock.</summary>
    protected ArrayView<T> Supports
    {
        get
        {
            backend.ThrowIfDisposed();
            return (_supports ?? throw new ObjectDisposedException(GetType().Name)).View;
        }
    }

    /// <summary>Takes ownership of the supports' device memory (from the constructor, under the backend's lock).</summary>
    protected void Keep(MemoryBuffer1D<T, Stride1D.Dense> supports) => _supports = supports;

    /// <summary>
    /// Uploads and keeps n row-major supports of <paramref name="width"/> elements each, transposed to the
    /// element-major layout (the packed codes of the Hamming and asymmetric indices).
    /// </summary>
    protected void KeepElementMajor(ReadOnlySpan<T> rows, int n, int width)
    {
        var byElement = IlgpuBackend.Transpose(rows, n, width);
        lock (backend.Gate)
        {
            backend.ThrowIfDisposed();
            Keep(backend.Upload<T>(byElement));
        }
    }

    public void Dispose()
    {
        lock (backend.Gate)
        {
            _supports?.Dispose();
            _supports = null;
        }
    }
}
