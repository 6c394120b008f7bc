using System.Reflection;
using System.Text.RegularExpressions;
using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>Every kernel compiles to PTX for sm_80 and sm_90 without a GPU, with the instructions that matter.</summary>
public class PtxTests
{
    private static readonly Lazy<Dictionary<string, IReadOnlyDictionary<string, string>>> Ptx = new(() =>
        PtxCompiler.Targets.ToDictionary(t => t.Name, t => PtxCompiler.CompileAll(t.Architecture, t.InstructionSet)));

    public static TheoryData<string> Targets => [.. PtxCompiler.Targets.Select(t => t.Name)];

    [Fact]
    public void EveryKernelMethodIsInTheRegistry()
    {
        var marked = typeof(IlgpuBackend).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(m => m.GetCustomAttribute<GpuKernelAttribute>() != null)
            .ToHashSet();
        var registered = KernelRegistry.All
            .Select(k => k.Method.IsGenericMethod ? k.Method.GetGenericMethodDefinition() : k.Method)
            .ToHashSet();
        Assert.NotEmpty(marked);
        Assert.Empty(marked.Except(registered).Select(m => $"{m.DeclaringType!.Name}.{m.Name}"));
        Assert.Empty(registered.Except(marked).Select(m => $"{m.DeclaringType!.Name}.{m.Name}"));
        // every scorer is searched by some registered top-k instantiation
        var scorers = typeof(IlgpuBackend).Assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IPairScorer).IsAssignableFrom(t));
        var instantiated = KernelRegistry.All.Where(k => k.Method.IsGenericMethod)
            .SelectMany(k => k.Method.GetGenericArguments());
        Assert.Empty(scorers.Except(instantiated).Select(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryKernelCompiles(string target)
    {
        var ptx = Ptx.Value[target];
        Assert.Equal(KernelRegistry.All.Select(k => k.Name).Order(), ptx.Keys.Order());
        string version = target == "sm_80" ? "7.0" : "7.8";
        foreach (var (name, code) in ptx)
        {
            Assert.Contains($".version {version}", code);
            // ILGPU 1.5.3 writes the lowest architecture that has every capability it uses (sm_80 at most);
            // the driver compiles that PTX for the actual GPU.
            Assert.Contains(".target sm_80", code);
            Assert.Contains(".entry Kernel_", code);
            Assert.DoesNotContain("fma.", code); // nothing fused behind our back
            _ = name;
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void HammingKernelUsesHardwarePopcount(string target)
    {
        string code = Ptx.Value[target][nameof(KernelRegistry.HammingTopK)];
        Assert.Contains("popc.b32", code);
        Assert.Matches(new Regex(@"shfl\.sync\.bfly\.b32"), code);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void WarpKernelsShuffle(string target)
    {
        foreach (string name in new[]
                 {
                     nameof(KernelRegistry.HammingTopK), nameof(KernelRegistry.CosineTopK),
                     nameof(KernelRegistry.SigmoidTopK), nameof(KernelRegistry.MajorityCodes),
                 })
            Assert.Contains("shfl.sync.bfly.b32", Ptx.Value[target][name]);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void ProjectionKernelsUseUncontractibleArithmetic(string target)
    {
        foreach (string name in new[] { nameof(KernelRegistry.Project), nameof(KernelRegistry.ProjectPack) })
        {
            string code = Ptx.Value[target][name];
            Assert.Contains("mul.rn.f32", code);
            Assert.Contains("add.rn.f32", code);
        }
        Assert.Contains("ex2.approx.f32", Ptx.Value[target][nameof(KernelRegistry.SigmoidTopK)]);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void ProductCodeKernelsRoundLikeTheCpu(string target)
    {
        // every multiply and add rounded on its own, and the score's root and quotient correctly rounded, as the
        // CPU form's MathF.Sqrt and float division are (PTX's plain div.f32 / sqrt.f32 may be approximate)
        var ptx = Ptx.Value[target];
        foreach (string name in new[] { nameof(KernelRegistry.QuantizeProducts), nameof(KernelRegistry.ProductTables), nameof(KernelRegistry.ProductRoots) })
            Assert.Contains("add.rn.f32", ptx[name]);
        Assert.Contains("sub.rn.f32", ptx[nameof(KernelRegistry.QuantizeProducts)]);
        Assert.Contains("mul.rn.f32", ptx[nameof(KernelRegistry.ProductTables)]);
        Assert.Contains("sqrt.rn.f32", ptx[nameof(KernelRegistry.ProductRoots)]);
        Assert.Contains("div.rn.f32", ptx[nameof(KernelRegistry.ProductCodeTopK)]);
        foreach (string name in new[] { nameof(KernelRegistry.ProductRoots), nameof(KernelRegistry.ProductCodeTopK) })
            Assert.DoesNotMatch(@"(sqrt|div)\.(approx|full)", ptx[name]);
    }
}
