using Lshk.Kernels;

namespace Lshk.Tests.Gpu;

/// <summary>Bad arguments raise the same exception type, message and parameter name on both backends.</summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuValidationTests(SimulatorFixture fx)
{
    public static TheoryData<string> Calls => [.. BadCalls.Keys];

    private static readonly Dictionary<string, Action<IComputeBackend>> BadCalls = new()
    {
        ["project: negative n"] = b => b.Project([], -1, 2, new float[4], default, 2, new float[0]),
        ["project: zero d"] = b => b.Project([], 0, 0, [], default, 2, new float[0]),
        ["project: zero planes"] = b => b.Project(new float[2], 1, 2, [], default, 0, new float[0]),
        ["project: short x"] = b => b.Project(new float[3], 2, 2, new float[4], default, 2, new float[4]),
        ["project: bad offsets"] = b => b.Project(new float[4], 2, 2, new float[4], new float[3], 2, new float[4]),
        ["project: short output"] = b => b.Project(new float[4], 2, 2, new float[4], default, 2, new float[3]),
        ["pack: wrong code length"] = b => b.ProjectPack(new float[4], 2, 2, new float[66], default, 33, new uint[2]),
        ["hamming: zero bits"] = b => b.CreateHammingIndex([], 0, 0),
        ["hamming: wrong code length"] = b => b.CreateHammingIndex(new uint[3], 2, 33),
        ["hamming: zero k"] = b => { using var i = b.CreateHammingIndex(new uint[2], 2, 8); i.Search(new uint[1], 1, 0); },
        ["hamming: negative q"] = b => { using var i = b.CreateHammingIndex(new uint[2], 2, 8); i.Search([], -1, 1); },
        ["hamming: wrong query length"] = b => { using var i = b.CreateHammingIndex(new uint[4], 2, 33); i.Search(new uint[3], 2, 1); },
        ["cosine: zero d"] = b => b.CreateCosineIndex([], 0, 0),
        ["cosine: wrong length"] = b => b.CreateCosineIndex(new float[5], 2, 3),
        ["cosine: wrong query length"] = b => { using var i = b.CreateCosineIndex(new float[6], 2, 3); i.Search(new float[4], 1, 1); },
        ["majority: zero classes"] = b => b.MajorityCodes(new uint[1], 1, 8, [0], 0, []),
        ["majority: bad label"] = b => b.MajorityCodes(new uint[2], 2, 8, [0, 3], 2, new uint[2]),
        ["majority: short labels"] = b => b.MajorityCodes(new uint[2], 2, 8, [0], 2, new uint[2]),
        ["means: bad label"] = b => b.ClassMeans(new float[4], 2, 2, [-1, 0], 2, new float[4]),
        ["means: short result"] = b => b.ClassMeans(new float[4], 2, 2, [0, 1], 2, new float[3]),
        ["sigmoid: zero k"] = b => b.SigmoidTopK(new float[2], 1, new float[2], 1, 2, 1f, 0),
        ["sigmoid: infinite sharpness"] = b => b.SigmoidTopK(new float[2], 1, new float[2], 1, 2, float.PositiveInfinity, 1),
        ["sigmoid: wrong support length"] = b => b.SigmoidTopK(new float[2], 1, new float[3], 1, 2, 1f, 1),
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void SameErrorAsCpu(string call)
    {
        var expected = Record.Exception(() => BadCalls[call](fx.Cpu));
        var actual = Record.Exception(() => BadCalls[call](fx.Gpu));
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.IsAssignableFrom<ArgumentException>(actual);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Message, actual.Message);
    }
}
