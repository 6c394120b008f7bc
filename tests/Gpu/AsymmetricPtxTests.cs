using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>
/// The asymmetric kernel's PTX (PtxTests compiles every kernel; this looks at what this one must contain): tables in
/// shared memory behind warp barriers, 64-bit table look-ups, and the butterfly merge.
/// </summary>
public class AsymmetricPtxTests
{
    public static TheoryData<string> Targets => [.. PtxCompiler.Targets.Select(t => t.Name)];

    private static string Compile(string target)
    {
        var (_, architecture, instructionSet) = PtxCompiler.Targets.Single(t => t.Name == target);
        using var context = Context.Create(builder => IlgpuBackend.Configure(builder));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, instructionSet,
            nvvmAPI: null);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(((Delegate)KernelRegistry.AsymmetricTopK).Method);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void TablesLiveInSharedMemoryAndListsMergeByShuffle(string target)
    {
        string ptx = Compile(target);
        Assert.Contains(".shared", ptx);
        Assert.Matches(@"st\.shared\.\w*64", ptx);
        Assert.Matches(@"ld\.shared\.\w*64", ptx);
        Assert.Contains("bar.warp.sync", ptx);
        Assert.Contains("shfl.sync.bfly.b32", ptx);
    }
}
