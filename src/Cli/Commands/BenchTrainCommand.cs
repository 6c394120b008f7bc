using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Lshk.Data;
using Lshk.Kernels;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn;
using Lshk.Nn.Optimisers;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk bench train</c>: training throughput of the embedding network (Conv-4 by default) on random 28×28 images:
/// each step is forward, prototypical loss over a W-way episode of batch/(shots+queries) classes, backward and an Adam
/// update, the step the episode trainer runs. Reports training images per second, peak working set and bytes
/// allocated per step.
/// </summary>
internal static class BenchTrainCommand
{
    public sealed record Result(string Device, string Backend, int Processors, int Threads, string Network, bool Fused,
        int Batch, int Ways, int Shots, int Queries, int Warmup, int Steps, double BestStepSeconds, double MedianStepSeconds,
        double ImagesPerSecond, double BestImagesPerSecond, long PeakWorkingSetBytes, double AllocatedBytesPerStep,
        float FirstLoss, float LastLoss, ulong Seed);

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "Images per training step", DefaultValueFactory = _ => 600 };
        var shots = new Option<int>("--shots") { Description = "Support images per class in the episode", DefaultValueFactory = _ => 5 };
        var queries = new Option<int>("--queries") { Description = "Query images per class in the episode", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "Timed training steps", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "CPU worker threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var blocks = new Option<int>("--blocks") { Description = "Conv blocks", DefaultValueFactory = _ => 4 };
        var filters = new Option<int>("--filters") { Description = "Filters per conv", DefaultValueFactory = _ => 64 };
        var size = new Option<int>("--size") { Description = "Image side in pixels", DefaultValueFactory = _ => 28 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var batchNorm = new Option<string>("--batch-norm") { Description = "on, or off (conv bias only, the 2018 study's network)", DefaultValueFactory = _ => "on" };
        var dropout = new Option<float>("--dropout") { Description = "Dropout probability (0: none)", DefaultValueFactory = _ => 0f };
        var dropoutAt = new Option<string>("--dropout-at") { Description = "blocks or embedding", DefaultValueFactory = _ => "blocks" };
        var finalPool = new Option<string>("--final-pool") { Description = "on, off (the last block unpooled: a wider embedding) or average (its map averaged over its positions)", DefaultValueFactory = _ => "on" };
        var noFuse = new Option<bool>("--no-fuse") { Description = "Run batch norm, ReLU and max-pool as separate layers" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1UL };
        var json = new Option<string?>("--json") { Description = "Write the result as JSON to this file" };
        var export = new Option<string?>("--export")
        {
            Description = "Also write the trained model (model.safetensors), 64 of the images (images.npy) and their evaluation-mode embeddings (embeddings.npy) to this folder",
        };
        var device = CommonOptions.Device();

        var command = new Command("train", "Training throughput (forward + backward + Adam) of the embedding network, images/s")
        {
            batch, shots, queries, steps, warmup, threads, blocks, filters, size, batchNorm, dropout, dropoutAt, finalPool, lr, noFuse, seed, json, export, device,
        };
        command.SetAction(parse =>
        {
            int b = parse.GetValue(batch), s = parse.GetValue(shots), q = parse.GetValue(queries);
            int timed = parse.GetValue(steps), warm = parse.GetValue(warmup);
            UsageException.RequirePositive(b, "--batch");
            UsageException.RequirePositive(s, "--shots");
            UsageException.RequirePositive(q, "--queries");
            UsageException.RequirePositive(timed, "--steps");
            UsageException.RequireNonNegative(warm, "--warmup");
            UsageException.RequireNonNegative(parse.GetValue(threads), "--threads");
            if (b % (s + q) != 0 || b / (s + q) < 2)
                throw new UsageException($"--batch {b} must be a multiple of --shots + --queries = {s + q} giving at least 2 classes");
            var (pooled, averaged) = FinalPools.Parse(TrainOptions.ParseFinalPool(parse.GetValue(finalPool))!);
            var config = new ConvNetConfig(parse.GetValue(blocks), parse.GetValue(filters), parse.GetValue(dropout), InputSize: parse.GetValue(size),
                BatchNorm: CommonOptions.ParseOnOff(parse.GetValue(batchNorm)!, "--batch-norm"),
                DropoutAt: TrainOptions.ParsePlacement(parse.GetValue(dropoutAt)!), FinalPool: pooled, GlobalAverage: averaged);
            config.Validate();
            var episode = new EpisodeShape(b / (s + q), s, q, config.EmbeddingDim);
            ulong seedValue = parse.GetValue(seed);
            var console = Output.Console(parse);

            using var backend = CommonOptions.OpenDevice(parse, device);
            using var ops = NnOps.For(backend, parse.GetValue(threads));
            console.MarkupLine($"device: [bold]{Markup.Escape(ops.Device.Name)}[/]");
            console.MarkupLine($"network: {Markup.Escape(config.Describe())}; episode {episode.Ways}-way {s}-shot {q}-query (batch {b}); Adam lr {parse.GetValue(lr)}");

            var shape = ConvNet.InputShape(config, b);
            float[] pixels = RandomImages(shape.Length, seedValue);
            using var images = ops.Allocate(shape.Length);
            images.CopyFrom(pixels);
            using var network = ConvNet.Create(ops, config, seedValue, fuse: !parse.GetValue(noFuse));
            using var adam = new Adam(ops, network.Parameters, new ConstantRate(parse.GetValue(lr)));
            using var loss = new PrototypicalLoss(ops);
            var trainer = new Trainer(network, adam, loss);

            float firstLoss = 0, lastLoss = 0;
            for (int i = 0; i < warm; i++)
            {
                float l = trainer.Step(images, shape, episode).Loss;
                if (i == 0) firstLoss = l;
            }
            var seconds = new double[timed];
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var watch = new Stopwatch();
            for (int i = 0; i < timed; i++)
            {
                watch.Restart();
                lastLoss = trainer.Step(images, shape, episode).Loss;
                seconds[i] = watch.Elapsed.TotalSeconds;
                if (warm == 0 && i == 0) firstLoss = lastLoss;
            }
            double allocatedPerStep = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / timed;
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            long peak = process.PeakWorkingSet64;
            Array.Sort(seconds);
            double best = seconds[0], median = seconds[timed / 2], total = seconds.Sum();

            var result = new Result(ops.Device.Name, ops.Device.Backend, Environment.ProcessorCount,
                ops is Kernels.Nn.Cpu.CpuNnOps cpu ? cpu.Threads : 0, config.Describe(), !parse.GetValue(noFuse), b,
                episode.Ways, s, q, warm, timed, best, median, b * timed / total, b / best, peak, allocatedPerStep,
                firstLoss, lastLoss, seedValue);
            var table = new Table().AddColumns("images/s (mean)", "images/s (best step)", "s/step (median)", "peak working set",
                "allocated/step", "loss first → last");
            table.AddRow($"{result.ImagesPerSecond:F1}", $"{result.BestImagesPerSecond:F1}", $"{median:F3}",
                $"{peak / 1048576.0:F0} MiB", $"{allocatedPerStep:F0} B", $"{firstLoss:F3} → {lastLoss:F3}");
            console.Write(table);

            if (parse.GetValue(export) is { } folder)
                BenchTrainExport.Write(folder, network, config, ops, pixels, shape, warm + timed, seedValue, console);
            if (parse.GetValue(json) is { } path)
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, JsonOptions.Indented));
            return 0;
        });
        return command;
    }

    /// <summary>Seeded pixel values uniform in [0, 1).</summary>
    internal static float[] RandomImages(int count, ulong seed)
    {
        var rng = new CounterRng(seed, 0x1A6E5);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)rng.Uniform((ulong)i);
        return values;
    }
}
