using System.Globalization;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn.ModelFiles;

namespace Lshk.Nn;

/// <summary>
/// Settings of the study's "LSH in the loop" loss (<c>--loss lsh-sigmoid</c>): P Gaussian planes drawn from the run's
/// seed (the study used 1000, fixed), the sigmoid's sharpness k, whether the planes and offsets are trained with the
/// network, and the logits' scale.
/// </summary>
public sealed record LshSigmoidLossSettings(int Planes = LshSigmoidLossSettings.DefaultPlanes, float Sharpness = LshSigmoidLossSettings.DefaultSharpness,
    bool Trainable = false, float Scale = CosineLoss.DefaultScale)
{
    public const int DefaultPlanes = 1000;
    public const float DefaultSharpness = 1f;

    public void Validate()
    {
        if (Planes < 1) throw new Lshk.Core.InputException($"lsh-sigmoid needs at least 1 plane (got {Planes})");
        if (!(Sharpness > 0 && float.IsFinite(Sharpness))) throw new Lshk.Core.InputException($"the lsh-sigmoid sharpness must be a positive number (got {Sharpness})");
        if (!(Scale > 0 && float.IsFinite(Scale))) throw new Lshk.Core.InputException($"the lsh-sigmoid scale must be a positive number (got {Scale})");
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"planes={Planes},sharpness={Sharpness:R},trainable={(Trainable ? "yes" : "no")},scale={Scale:R}");
}

/// <summary>
/// The original study's training loss with LSH in the loop (<see cref="ILshSigmoidLossOp"/>): a matching network whose
/// similarity is (1/P)·Σᵢ σ(k·(q·wᵢ)(s·wᵢ + oᵢ)) over random planes, kept to reproduce its result next to hash-aware
/// training (<see cref="HashTrainingLoss"/>). The planes are drawn once from the seed (N(0, 1) normals, offsets 0) and,
/// when trainable, updated with the network; the saved model stores them as its hash planes either way.
/// </summary>
public sealed class LshSigmoidLoss : EpisodeLoss
{
    public const string LossName = "lsh-sigmoid";

    /// <summary>The random stream of the planes, apart from the network's layers.</summary>
    private const ulong PlaneStream = 0x4C534853UL; // "LSHS"

    private readonly ILshSigmoidLossOp _op;

    public LshSigmoidLoss(INnOps ops, int dim, LshSigmoidLossSettings settings, ulong seed) : base(ops)
    {
        settings.Validate();
        Settings = settings;
        Dim = dim;
        _op = NnOpRegistry.Create<ILshSigmoidLossOp>(ops);
        Weight = new Parameter(ops, "weight", [settings.Planes, dim]);
        Offsets = new Parameter(ops, "bias", [settings.Planes]);
        var stream = new CounterRng(seed, PlaneStream);
        var normals = new float[settings.Planes * dim];
        for (int i = 0; i < normals.Length; i++) normals[i] = (float)stream.Normal((ulong)i);
        Weight.Value.CopyFrom(normals);
    }

    public override string Name => LossName;

    public LshSigmoidLossSettings Settings { get; }
    public int Dim { get; }
    public Parameter Weight { get; }
    public Parameter Offsets { get; }

    /// <summary>The planes as trained parameters (named as model files store them), or none when they are fixed.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters =>
        Settings.Trainable ? [(StoredPlanes.WeightName, Weight), (StoredPlanes.BiasName, Offsets)] : [];

    public StoredPlanes ToStoredPlanes() => new(Settings.Planes, Dim, Weight.Value.ToArray(), Offsets.Value.ToArray());

    public void Load(StoredPlanes planes)
    {
        if (planes.Count != Settings.Planes || planes.Dim != Dim)
            throw new InvalidDataException($"stored planes are {planes.Count}×{planes.Dim}, the lsh-sigmoid loss has {Settings.Planes}×{Dim}");
        Weight.Value.CopyFrom(planes.Weight);
        Offsets.Value.CopyFrom(planes.Bias);
    }

    protected override (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient) =>
        _op.Compute(embeddings, Weight.Value, Offsets.Value, episode, new LshSigmoidSettings(Settings.Planes, Settings.Sharpness, Settings.Scale),
            gradient, Settings.Trainable ? Weight.Grad : null, Settings.Trainable ? Offsets.Grad : null);

    protected override void DisposeCore()
    {
        Weight.Dispose();
        Offsets.Dispose();
        (_op as IDisposable)?.Dispose();
    }
}
