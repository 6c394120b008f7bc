using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Nn;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Nn.Reference;

namespace Lshk.Tests.Nn;

/// <summary>End to end on the CPU: Conv-4 overfits a tiny fixed episode; a training step allocates nothing; schedules.</summary>
public class TrainingTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    /// <summary>A 5-way 1-shot 1-query episode of random 28×28 images (class-major: support, query).</summary>
    internal static (float[] Images, EpisodeShape Episode) TinyEpisode(int seed)
    {
        var episode = new EpisodeShape(5, 1, 1, 64);
        return (TestData.Uniform(seed, episode.Batch * 28 * 28).ToFloat(), episode);
    }

    [Fact]
    public void Conv4OverfitsATinyBatchWithAdam()
    {
        var ops = fx.Ops;
        var (images, episode) = TinyEpisode(1);
        using var net = ConvNet.Create(ops, new ConvNetConfig(), seed: 2);
        using var adam = new Adam(ops, net.Parameters, new ConstantRate(1e-3f));
        using var loss = new PrototypicalLoss(ops);
        var trainer = new Trainer(net, adam, loss);
        using var x = ops.Upload(images);
        var shape = ConvNet.InputShape(new ConvNetConfig(), episode.Batch);
        float first = trainer.Step(x, shape, episode).Loss;
        float last = first;
        int steps = 1;
        while (steps < 300 && last > first / 100)
        {
            last = trainer.Step(x, shape, episode).Loss;
            steps++;
        }
        Assert.True(last <= first / 100, $"loss {first} → {last} after {steps} steps");
    }

    [Fact]
    public void SgdWithMomentumAlsoOverfits()
    {
        var ops = fx.Ops;
        var (images, episode) = TinyEpisode(3);
        using var net = ConvNet.Create(ops, new ConvNetConfig(), seed: 4);
        using var sgd = new Sgd(ops, net.Parameters, new ConstantRate(0.01f), momentum: 0.9f);
        using var loss = new PrototypicalLoss(ops);
        var trainer = new Trainer(net, sgd, loss);
        using var x = ops.Upload(images);
        var shape = ConvNet.InputShape(new ConvNetConfig(), episode.Batch);
        float first = trainer.Step(x, shape, episode).Loss, last = first;
        for (int i = 0; i < 300 && last > first / 100; i++) last = trainer.Step(x, shape, episode).Loss;
        Assert.True(last <= first / 100, $"loss {first} → {last}");
    }

    [Fact]
    public void ATrainingStepAllocatesNothingInSteadyState()
    {
        // one worker thread: the whole step runs on this thread, so this thread's allocation counter sees everything
        using var ops = new CpuNnOps(threads: 1);
        var episode = new EpisodeShape(4, 2, 3, 64);
        using var net = ConvNet.Create(ops, new ConvNetConfig(Dropout: 0.1f), seed: 5);
        using var adam = new Adam(ops, net.Parameters, new CosineDecay(1e-3f, 100), weightDecay: 1e-4f);
        using var loss = new PrototypicalLoss(ops);
        var trainer = new Trainer(net, adam, loss);
        using var x = ops.Upload(TestData.Uniform(6, episode.Batch * 28 * 28).ToFloat());
        var shape = ConvNet.InputShape(new ConvNetConfig(), episode.Batch);
        for (int i = 0; i < 3; i++) trainer.Step(x, shape, episode);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) trainer.Step(x, shape, episode);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void LearningRateSchedules()
    {
        var step = new StepDecay(0.1f, Every: 10, Gamma: 0.5f);
        Assert.Equal(0.1f, step.Rate(0));
        Assert.Equal(0.1f, step.Rate(9));
        Assert.Equal(0.05f, step.Rate(10));
        Assert.Equal(0.025f, step.Rate(25), 7);
        var cosine = new CosineDecay(1f, TotalSteps: 100, Minimum: 0.1f);
        Assert.Equal(1f, cosine.Rate(0));
        Assert.Equal(0.55f, cosine.Rate(50), 6);
        Assert.Equal(0.1f, cosine.Rate(100), 6);
        Assert.Equal(0.1f, cosine.Rate(150), 6);

        // the optimiser takes step t's rate: with all-zero gradients and weight decay w, SGD multiplies by (1 − lr·w)
        var ops = fx.Ops;
        using var net = ConvNet.Create(ops, new ConvNetConfig(Blocks: 1, Filters: 2, InputSize: 4), seed: 1);
        var p = net.Parameters[0];
        float before = p.Value.ToArray()[0];
        using var sgd = new Sgd(ops, [p], step, momentum: 0f, weightDecay: 1f);
        Assert.Equal(0.1f, sgd.LearningRate);
        for (int i = 0; i < 11; i++)
        {
            sgd.ZeroGrad();
            sgd.Step();
        }
        Assert.Equal(before * Math.Pow(0.9, 10) * 0.95, p.Value.ToArray()[0], 5);
        Assert.Equal(11, sgd.StepCount);
    }
}
