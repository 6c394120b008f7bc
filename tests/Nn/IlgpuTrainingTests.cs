using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Gpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>Whole Conv-4 training on the ILGPU kernels (CPU simulator): one step against the CPU backend, and overfitting.</summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuTrainingTests(SimulatorFixture fx)
{
    // Conv-4's architecture with 8 filters, so the simulator stays quick
    private static readonly ConvNetConfig Config = new(Filters: 8);

    [Fact]
    public void AConv4TrainingStepMatchesTheCpuBackend()
    {
        var gpuOps = IlgpuNnOpsTests.Gpu(fx);
        var cpuOps = IlgpuNnOpsTests.Cpu(fx);
        var episode = new EpisodeShape(2, 2, 1, Config.EmbeddingDim);
        var shape = ConvNet.InputShape(Config, episode.Batch);
        double[] images = TestData.Uniform(1, shape.Length);
        var results = new List<(float Loss, float[][] Gradients, float[][] Parameters, float[] RunningVar, float[] Embeddings)>();
        foreach (INnOps ops in new INnOps[] { cpuOps, gpuOps })
        {
            using var net = ConvNet.Create(ops, Config, seed: 9);
            using var sgd = new Sgd(ops, net.Parameters, new ConstantRate(0.05f), momentum: 0.9f, weightDecay: 1e-4f);
            using var loss = new PrototypicalLoss(ops);
            using var x = ops.Upload(images);
            // the trainer's step, with the gradients looked at before the update
            sgd.ZeroGrad();
            var (l, _) = loss.Compute(net.Forward(x, shape, training: true), episode);
            net.Backward(loss.Gradient);
            var gradients = net.Parameters.Select(p => p.Grad.ToArray()).ToArray();
            sgd.Step();
            results.Add((l, gradients, net.Parameters.Select(p => p.Value.ToArray()).ToArray(),
                ((BatchNorm2d)net.Layers[13]).RunningVar.Buffer.ToArray(), net.Forward(x, shape, training: false).ToArray()));
        }
        var (cpu, gpu) = (results[0], results[1]);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        for (int i = 0; i < cpu.Gradients.Length; i++)
        {
            AssertClose(cpu.Gradients[i].ToDouble(), gpu.Gradients[i], 1e-3, $"gradient {i}");
            AssertClose(cpu.Parameters[i].ToDouble(), gpu.Parameters[i], IlgpuNnOpsTests.Tolerance, $"parameter {i}");
        }
        AssertClose(cpu.RunningVar.ToDouble(), gpu.RunningVar, IlgpuNnOpsTests.Tolerance, "last running variance");
        AssertClose(cpu.Embeddings.ToDouble(), gpu.Embeddings, 1e-3, "embeddings after the step");
    }

    /// <summary>The 2018 study's network (no batch norm: the fused conv → pool → ReLU step; dropout on the embedding) on both backends.</summary>
    [Fact]
    public void TheStudyNetworkTrainingStepMatchesTheCpuBackend() =>
        AssertStepMatchesTheCpuBackend(Config with { BatchNorm = false, Dropout = 0.2f, DropoutAt = DropoutPlacement.Embedding }, imageSeed: 3);

    /// <summary>A last block without its pool (its conv, batch norm and ReLU as separate layers) on both backends.</summary>
    [Fact]
    public void TheUnpooledLastBlockTrainingStepMatchesTheCpuBackend()
    {
        var config = Config with { FinalPool = false };
        Assert.Equal(3 * 3 * 8, config.EmbeddingDim); // 28 → 14 → 7 → 3, the last block unpooled
        AssertStepMatchesTheCpuBackend(config, imageSeed: 5);
    }

    /// <summary>The last map averaged over its positions (<see cref="ConvNetConfig.GlobalAverage"/>) on both backends.</summary>
    [Fact]
    public void TheGlobalAverageTrainingStepMatchesTheCpuBackend()
    {
        var config = Config with { FinalPool = false, GlobalAverage = true };
        Assert.Equal(8, config.EmbeddingDim);
        AssertStepMatchesTheCpuBackend(config, imageSeed: 6);
    }

    /// <summary>One cosine-mean training step's loss and gradients, and the embeddings after it, on the simulator and the CPU backend.</summary>
    private void AssertStepMatchesTheCpuBackend(ConvNetConfig config, int imageSeed)
    {
        var episode = new EpisodeShape(2, 2, 1, config.EmbeddingDim);
        var shape = ConvNet.InputShape(config, episode.Batch);
        double[] images = TestData.Uniform(imageSeed, shape.Length);
        var results = new List<(float Loss, float[][] Gradients, float[] Embeddings)>();
        foreach (INnOps ops in new INnOps[] { IlgpuNnOpsTests.Cpu(fx), IlgpuNnOpsTests.Gpu(fx) })
        {
            using var net = ConvNet.Create(ops, config, seed: 9);
            using var loss = new CosineMeanLoss(ops, scale: 1f);
            using var x = ops.Upload(images);
            var (l, _) = loss.Compute(net.Forward(x, shape, training: true), episode);
            net.ZeroGrad();
            net.Backward(loss.Gradient);
            results.Add((l, net.Parameters.Select(p => p.Grad.ToArray()).ToArray(), net.Forward(x, shape, training: false).ToArray()));
        }
        var (cpu, gpu) = (results[0], results[1]);
        Assert.Equal(episode.Batch * config.EmbeddingDim, cpu.Embeddings.Length);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        for (int i = 0; i < cpu.Gradients.Length; i++)
            AssertClose(cpu.Gradients[i].ToDouble(), gpu.Gradients[i], 1e-3, $"gradient {i}");
        AssertClose(cpu.Embeddings.ToDouble(), gpu.Embeddings, 1e-3, "embeddings");
    }

    [Fact]
    public void Conv4OverfitsATinyBatchOnTheSimulator()
    {
        var ops = IlgpuNnOpsTests.Gpu(fx);
        var episode = new EpisodeShape(3, 1, 1, Config.EmbeddingDim);
        var shape = ConvNet.InputShape(Config, episode.Batch);
        using var net = ConvNet.Create(ops, Config, seed: 2);
        using var adam = new Adam(ops, net.Parameters, new ConstantRate(3e-3f));
        using var loss = new PrototypicalLoss(ops);
        var trainer = new Trainer(net, adam, loss);
        using var x = ops.Upload(TestData.Uniform(3, shape.Length));
        float first = trainer.Step(x, shape, episode).Loss, last = first;
        int steps = 1;
        for (; steps < 300 && last > first / 100; steps++) last = trainer.Step(x, shape, episode).Loss;
        Assert.True(last <= first / 100, $"loss {first} → {last} after {steps} steps");
    }
}
