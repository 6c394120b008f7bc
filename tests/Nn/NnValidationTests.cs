using Lshk.Kernels.Nn;
using Lshk.Tests.Gpu;

namespace Lshk.Tests.Nn;

/// <summary>
/// Bad arguments to the neural-net operations raise the same exception type and message on both backends (the checks
/// live once, in <see cref="CheckedNnOps"/>), and no backend computes anything for them.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class NnValidationTests(SimulatorFixture fx)
{
    private const int Channels = 2;

    public static TheoryData<string> Calls => [.. BadCalls.Keys];

    private static BatchNormBuffers Norm(INnOps o, int channels = Channels) =>
        new(o.Allocate(channels), o.Allocate(channels), o.Allocate(channels), o.Allocate(channels), o.Allocate(channels),
            o.Allocate(channels), o.Allocate(channels), o.Allocate(channels));

    private static readonly Conv2dShape Conv = new(1, 1, 4, 4, Channels);
    private static readonly Nchw Image = new(1, Channels, 4, 4);
    private static readonly EpisodeShape Episode = new(2, 1, 1, 3);

    private static readonly Dictionary<string, Action<INnOps>> BadCalls = new()
    {
        ["allocate: negative length"] = o => o.Allocate(-1),
        ["conv: short weight"] = o => o.Conv2dForward(Conv, o.Allocate(16), o.Allocate(17), null, o.Allocate(32)),
        ["conv: kernel larger than input"] = o => o.Conv2dForward(new Conv2dShape(1, 1, 1, 1, 1, 5, 1, 0), o.Allocate(1),
            o.Allocate(25), null, o.Allocate(1)),
        ["conv backward: short input gradient"] = o => o.Conv2dBackward(Conv, o.Allocate(16), o.Allocate(18), o.Allocate(32),
            o.Allocate(15), null, null),
        ["batch norm: momentum above 1"] = o => o.BatchNormTrainingForward(Image, o.Allocate(32), o.Allocate(32), Norm(o), 1.5f, 1e-5f),
        ["batch norm: wrong channel buffers"] = o => o.BatchNormInferenceForward(Image, o.Allocate(32), o.Allocate(32), Norm(o, 3), 1e-5f),
        ["batch norm: one value per channel"] = o => o.BatchNormTrainingForward(new Nchw(1, Channels, 1, 1), o.Allocate(2),
            o.Allocate(2), Norm(o), 0.1f, 1e-5f),
        ["batch norm backward: short output gradient"] = o => o.BatchNormBackward(Image, o.Allocate(32), o.Allocate(31),
            o.Allocate(32), Norm(o)),
        ["relu: short output"] = o => o.ReluForward(o.Allocate(8), o.Allocate(7), 8),
        ["max-pool: 1 row"] = o => o.MaxPool2x2Forward(new Nchw(1, 1, 1, 4), o.Allocate(4), o.Allocate(2)),
        ["dropout backward: short gradient"] = o => o.DropoutBackward(o.Allocate(3), o.Allocate(8), 8, new DropoutMask(0.5f, 1, 1)),
        ["fused: wrong pooled size"] = o => o.BatchNormReluPoolForward(Image, o.Allocate(32), o.Allocate(9), Norm(o), true, 0.1f,
            1e-5f),
        ["conv block: wrong pooled gradient"] = o => o.ConvBlockBackward(Conv, o.Allocate(16), o.Allocate(18), null, o.Allocate(32),
            o.Allocate(7), null, null, null, Norm(o)),
        ["adam: short second moment"] = o => o.AdamUpdate(o.Allocate(4), o.Allocate(4), o.Allocate(4), o.Allocate(3), 4,
            new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)),
        ["prototypical: wrong gradient size"] = o => o.PrototypicalLoss(o.Allocate(12), Episode, o.Allocate(11)),
        ["matching: zero scale"] = o => o.MatchingLoss(o.Allocate(12), Episode, 0f, o.Allocate(12)),
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void SameErrorAsCpu(string call)
    {
        var expected = Record.Exception(() => BadCalls[call](IlgpuNnOpsTests.Cpu(fx)));
        var actual = Record.Exception(() => BadCalls[call](IlgpuNnOpsTests.Gpu(fx)));
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.IsAssignableFrom<ArgumentException>(actual);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Message, actual.Message);
    }
}
