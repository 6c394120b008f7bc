using System.Reflection;
using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// The single list of GPU kernels. The backend loads kernels only from these fields, the PTX compiler compiles
/// <see cref="All"/>, and a test checks that every <see cref="GpuKernelAttribute"/> method appears here.
/// Generic kernels appear once per instantiation.
/// </summary>
internal static class KernelRegistry
{
    public static readonly Action<ProjectionArgs, ArrayView<float>> Project = ProjectionKernels.Project;
    public static readonly Action<ProjectionArgs, ArrayView<uint>> ProjectPack = ProjectionKernels.ProjectPack;
    public static readonly Action<HammingScorer, TopKArgs> HammingTopK = TopKKernels.WarpTopK;
    public static readonly Action<CosineScorer, TopKArgs> CosineTopK = TopKKernels.WarpTopK;
    public static readonly Action<SigmoidScorer, TopKArgs> SigmoidTopK = TopKKernels.WarpTopK;
    public static readonly Action<NormaliseArgs> Normalise = CosineKernels.Normalise;
    public static readonly Action<MajorityArgs> MajorityCodes = PrototypeKernels.MajorityCodes;
    public static readonly Action<ClassMeanArgs> ClassMeans = PrototypeKernels.ClassMeans;

    /// <summary>Every kernel above, by field name, in declaration order.</summary>
    public static IReadOnlyList<(string Name, MethodInfo Method)> All { get; } =
        typeof(KernelRegistry).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => typeof(Delegate).IsAssignableFrom(f.FieldType))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (f.Name, ((Delegate)f.GetValue(null)!).Method))
            .ToArray();
}
