using System.Reflection;
using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// The single list of GPU kernels. The backend loads kernels only from these fields, the PTX compiler compiles
/// <see cref="All"/>, and a test checks that every <see cref="GpuKernelAttribute"/> method appears here.
/// Generic kernels appear once per instantiation. The neural-net kernels are listed in KernelRegistry.Nn.cs.
/// </summary>
internal static partial class KernelRegistry
{
    public static readonly Action<ProjectionArgs, ArrayView<float>> Project = ProjectionKernels.Project;
    public static readonly Action<ProjectionArgs, ArrayView<uint>> ProjectPack = ProjectionKernels.ProjectPack;
    public static readonly Action<HammingScorer, TopKArgs> HammingTopK = TopKKernels.WarpTopK;
    public static readonly Action<CosineScorer, TopKArgs> CosineTopK = TopKKernels.WarpTopK;
    public static readonly Action<SigmoidScorer, TopKArgs> SigmoidTopK = TopKKernels.WarpTopK;
    public static readonly Action<CandidateScorer, TopKArgs> MergeTopK = TopKKernels.WarpTopK;
    public static readonly Action<RemapArgs> RemapMerged = TopKKernels.RemapMerged;
    public static readonly Action<AsymmetricArgs> AsymmetricTopK = AsymmetricKernels.WarpTopK;
    public static readonly Action<PairMergeArgs> AsymmetricMerge = AsymmetricKernels.MergePairs;
    public static readonly Action<NormaliseArgs> Normalise = CosineKernels.Normalise;
    public static readonly Action<MajorityArgs> MajorityCodes = PrototypeKernels.MajorityCodes;
    public static readonly Action<ClassMeanArgs> ClassMeans = PrototypeKernels.ClassMeans;
    public static readonly Action<ProductArgs, ArrayView<float>, int, ArrayView<uint>> QuantizeProducts = ProductCodeKernels.Quantize;
    public static readonly Action<ProductArgs, ArrayView<float>, int, ArrayView<float>> ProductTables = ProductCodeKernels.Tables;
    public static readonly Action<ProductArgs, ArrayView<uint>, int, ArrayView<float>> ProductRoots = ProductCodeKernels.Roots;
    public static readonly Action<ProductCodeScorer, TopKArgs> ProductCodeTopK = TopKKernels.WarpTopK;

    /// <summary>
    /// Every kernel of the registry (all its parts), by field name, in declaration order. Built on first use, after
    /// every field of every part is initialised.
    /// </summary>
    public static IReadOnlyList<(string Name, MethodInfo Method)> All => AllKernels.Value;

    private static readonly Lazy<IReadOnlyList<(string Name, MethodInfo Method)>> AllKernels = new(() =>
        typeof(KernelRegistry).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => typeof(Delegate).IsAssignableFrom(f.FieldType))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (f.Name, ((Delegate)f.GetValue(null)!).Method))
            .ToArray());
}
