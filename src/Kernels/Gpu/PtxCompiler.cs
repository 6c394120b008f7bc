using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Compiles every kernel of <see cref="KernelRegistry"/> to CUDA PTX without a GPU or a CUDA driver: ILGPU's
/// <see cref="PTXBackend"/> only needs a context, a target architecture and a PTX instruction set. Each call uses
/// its own context, so a kernel that fails to compile cannot spoil a context that is running kernels.
/// </summary>
public static class PtxCompiler
{
    /// <summary>The architectures lshk targets, each with the oldest PTX ISA that supports it (sm_80: PTX 7.0, sm_90: PTX 7.8).</summary>
    public static IReadOnlyList<(string Name, CudaArchitecture Architecture, CudaInstructionSet InstructionSet)> Targets { get; } =
    [
        ("sm_80", CudaArchitecture.SM_80, CudaInstructionSet.ISA_70),
        ("sm_90", CudaArchitecture.SM_90, CudaInstructionSet.ISA_78),
    ];

    /// <summary>The registry's kernel names, in order.</summary>
    public static IReadOnlyList<string> KernelNames => KernelRegistry.All.Select(k => k.Name).ToArray();

    /// <summary>PTX of every registered kernel for one target, by kernel name.</summary>
    public static IReadOnlyDictionary<string, string> CompileAll(CudaArchitecture architecture,
        CudaInstructionSet instructionSet)
    {
        using var context = Context.Create(builder => IlgpuBackend.Configure(builder));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture,
            instructionSet, nvvmAPI: null);
        var result = new Dictionary<string, string>();
        foreach (var (name, method) in KernelRegistry.All)
        {
            var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
            result[name] = compiled.PTXAssembly;
        }
        return result;
    }
}
