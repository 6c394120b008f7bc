using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Lets ILGPU find the CUDA driver where only <c>libcuda.so.1</c> exists. ILGPU imports the driver as "cuda", which
/// .NET probes as <c>libcuda.so</c> and <c>cuda.so</c>; that unversioned name is a development symlink, and driver-only
/// installs (containers with the NVIDIA runtime, many GPU servers) ship only the versioned <c>libcuda.so.1</c> that
/// PyTorch and the CUDA runtime open. Installed once, before the first CUDA context.
/// </summary>
internal static class CudaDriverLibrary
{
    /// <summary>The import name ILGPU's driver API uses on Linux (its CudaAPI.xml).</summary>
    private const string IlgpuImportName = "cuda";

    /// <summary>Tried in order; the first is what .NET would load by itself.</summary>
    private static readonly string[] Candidates = ["libcuda.so", "libcuda.so.1"];

    private static int _installed;

    public static void EnsureResolver()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _installed, 1) == 1) return;
        // ILGPU installs its own resolver under WSL (the driver lives in /usr/lib/wsl/lib); an assembly takes only one.
        if (IsWsl()) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone installed a resolver for ILGPU already; theirs decides.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!string.Equals(name, IlgpuImportName, StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (string candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle))
                return handle;
        return IntPtr.Zero; // .NET's own probing then reports the missing library as before
    }

    private static bool IsWsl()
    {
        try
        {
            return File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
