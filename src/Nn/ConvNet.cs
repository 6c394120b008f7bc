using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn;

/// <summary>Where the network's dropout goes.</summary>
public enum DropoutPlacement
{
    /// <summary>After each block (the default).</summary>
    Blocks,

    /// <summary>Once, on the flattened embedding (the 2018 study: one dropout, keep probability 0.8, on the final features).</summary>
    Embedding,
}

/// <summary>
/// Settings of the embedding network: <see cref="Blocks"/> blocks of [K×K conv with <see cref="Filters"/> filters,
/// padding K/2 → batch norm (unless <see cref="BatchNorm"/> is off: then the conv bias alone shifts the features) →
/// ReLU → 2×2 max-pool (→ dropout when <see cref="Dropout"/> &gt; 0 and placed after the blocks)], then flatten
/// (→ dropout when placed on the embedding). The default is "Conv-4": 4 blocks of 64 3×3 filters on 1×28×28 images,
/// a 64-d embedding. With <see cref="FinalPool"/> off the last block keeps its map (Conv-4 on 28×28: 3×3×64, a 576-d
/// embedding) at the same cost per image: a wider embedding gives a trained hash layer more room than 64 dimensions
/// for 64 bits (bench/RESULTS.md, short codes). With <see cref="GlobalAverage"/> the last block's map is averaged over
/// its positions instead (<see cref="GlobalAveragePool"/>): an embedding of <see cref="Filters"/> dimensions that every
/// position feeds (Omniglot's default: its codes lose less to sign(), bench/RESULTS.md Session 27).
/// </summary>
public sealed record ConvNetConfig(int Blocks = 4, int Filters = 64, float Dropout = 0f, int InputChannels = 1,
    int InputSize = 28, int Kernel = 3, bool ConvBias = true, bool BatchNorm = true, DropoutPlacement DropoutAt = DropoutPlacement.Blocks, bool FinalPool = true,
    bool GlobalAverage = false)
{
    public void Validate()
    {
        Kernels.Check.Positive(Blocks, "blocks");
        Kernels.Check.Positive(Filters, "filters");
        Kernels.Check.Positive(InputChannels, "input channels");
        Kernels.Check.Positive(InputSize, "input size");
        Kernels.Check.Positive(Kernel, "kernel size");
        if (Kernel % 2 == 0) throw new Lshk.Core.InputException($"kernel size must be odd (got {Kernel})");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new Lshk.Core.InputException($"dropout must be in [0, 1) (got {Dropout})");
        if (!Enum.IsDefined(DropoutAt)) throw new ArgumentException($"unknown dropout placement {(int)DropoutAt}");
        int size = InputSize;
        for (int b = 0; b < Blocks; b++)
        {
            if (size < 2 && Pools(b))
                throw new Lshk.Core.InputException($"{Blocks} blocks shrink a {InputSize}×{InputSize} input below 1×1 (block {b + 1} gets {size}×{size})");
            if (Pools(b)) size /= 2;
        }
    }

    /// <summary>Whether block <paramref name="block"/> (0-based) ends with its 2×2 max-pool.</summary>
    public bool Pools(int block) => FinalPool || block < Blocks - 1;

    /// <summary>Side of the last block's output (28 → 14 → 7 → 3 → 1 for Conv-4; 3 without the final pool).</summary>
    public int OutputSize
    {
        get
        {
            int size = InputSize;
            for (int b = 0; b < Blocks; b++)
                if (Pools(b)) size /= 2;
            return size;
        }
    }

    public int EmbeddingDim => GlobalAverage ? Filters : Filters * OutputSize * OutputSize;

    /// <summary>A one-line description, e.g. "conv4: 4×[conv3x3(64)+bn+relu+maxpool2], input 1×28×28, embedding 64".</summary>
    public string Describe() =>
        $"conv{Blocks}: {Blocks}×[conv{Kernel}x{Kernel}({Filters}{(ConvBias ? "" : ", no bias")}){(BatchNorm ? "+bn" : "")}+relu+maxpool2" +
        $"{(Dropout > 0 && DropoutAt == DropoutPlacement.Blocks ? $"+dropout({Dropout})" : "")}]" +
        $"{(FinalPool ? "" : " (no pool after the last)")}{(GlobalAverage ? ", averaged over its positions" : "")}" +
        $"{(Dropout > 0 && DropoutAt == DropoutPlacement.Embedding ? $"+dropout({Dropout})" : "")}, input {InputChannels}×{InputSize}×{InputSize}, embedding {EmbeddingDim}";
}

/// <summary>Builds the embedding network as a <see cref="Sequential"/> with PyTorch's layer order and names.</summary>
public static class ConvNet
{
    public static Sequential Create(INnOps ops, ConvNetConfig config, ulong seed, bool fuse = true) =>
        Create(ops, config, seed, fuse ? Fusion.ConvBlock : Fusion.None);

    public static Sequential Create(INnOps ops, ConvNetConfig config, ulong seed, Fusion fusion)
    {
        config.Validate();
        var layers = new List<Layer>();
        int channels = config.InputChannels;
        for (int b = 0; b < config.Blocks; b++)
        {
            layers.Add(new Conv2d(ops, channels, config.Filters, config.Kernel, 1, config.Kernel / 2, config.ConvBias));
            if (config.BatchNorm) layers.Add(new BatchNorm2d(ops, config.Filters));
            layers.Add(new ReLU(ops));
            if (config.Pools(b)) layers.Add(new MaxPool2d(ops));
            if (config is { Dropout: > 0, DropoutAt: DropoutPlacement.Blocks }) layers.Add(new Dropout(ops, config.Dropout, seed, (ulong)layers.Count));
            channels = config.Filters;
        }
        if (config.GlobalAverage) layers.Add(new GlobalAveragePool(ops));
        layers.Add(new Flatten(ops));
        if (config is { Dropout: > 0, DropoutAt: DropoutPlacement.Embedding }) layers.Add(new Dropout(ops, config.Dropout, seed, (ulong)layers.Count));
        var network = new Sequential(ops, layers, fusion);
        network.Initialise(seed);
        return network;
    }

    public static Nchw InputShape(ConvNetConfig config, int batch) =>
        new(batch, config.InputChannels, config.InputSize, config.InputSize);
}
