using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Nn;

/// <summary>
/// The neural-net kernels in PTX (sm_80): the instructions that carry their numerics. (Every kernel compiling, and no
/// fused multiply-add anywhere, is checked for the whole registry by Gpu.PtxTests.)
/// </summary>
public class IlgpuNnPtxTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Ptx = new(() =>
        PtxCompiler.CompileAll(ILGPU.Runtime.Cuda.CudaArchitecture.SM_80, ILGPU.Runtime.Cuda.CudaInstructionSet.ISA_70));

    [Fact]
    public void EveryNnKernelIsRegistered()
    {
        var names = PtxCompiler.KernelNames;
        foreach (string name in new[]
                 {
                     "ConvForward", "ConvBackwardData", "ConvWeightPartials", "ConvBiasPartials", "ReducePartials",
                     "NormStatisticsPartials", "NormStatisticsFinish", "NormApply", "NormGradientPartials", "NormGradientFinish",
                     "NormBackwardApply", "PoolForward", "PoolFusedPartials", "PoolBackward", "ReluForward", "ReluBackward",
                     "Dropout", "Adam", "Sgd", "LossPrototypes", "LossScores", "LossQueryGradient", "LossSupportGradient",
                     "CosineLossNormalise", "CosineLossScores", "CosineLossNormalGradient", "CosineLossProject",
                 })
            Assert.Contains(name, names);
    }

    [Fact]
    public void BatchStatisticsAreSummedInDouble()
    {
        foreach (string name in new[] { "NormStatisticsFinish", "NormGradientFinish" })
        {
            Assert.Contains("add.f64", Ptx.Value[name]);
            Assert.Contains("cvt.f64.f32", Ptx.Value[name]);
        }
        Assert.Contains("sqrt.rn.f64", Ptx.Value["NormStatisticsFinish"]);
    }

    [Fact]
    public void LossUsesTheHardwareExponentialAndLogarithm()
    {
        Assert.Contains("ex2.approx.f32", Ptx.Value["LossScores"]);
        Assert.Contains("lg2.approx.f32", Ptx.Value["LossScores"]);
        Assert.Contains("ex2.approx.f32", Ptx.Value["CosineLossScores"]);
        Assert.Contains("lg2.approx.f32", Ptx.Value["CosineLossScores"]);
        Assert.Contains("sqrt.rn.f32", Ptx.Value["CosineLossNormalise"]);
        Assert.Contains("sqrt.rn.f32", Ptx.Value["Adam"]);
    }

    [Fact]
    public void DropoutHashesWith64BitIntegerArithmetic()
    {
        // the counter-based mask (SplitMix64 finaliser) needs 64-bit multiplies and shifts, as on the CPU
        Assert.Contains("mul.lo.s64", Ptx.Value["Dropout"]);
        Assert.Contains("shr.u64", Ptx.Value["Dropout"]);
        Assert.Contains("xor.b64", Ptx.Value["Dropout"]);
    }
}
