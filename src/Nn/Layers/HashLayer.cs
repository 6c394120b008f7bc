using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn.ModelFiles;

namespace Lshk.Nn.Layers;

/// <summary>
/// The trainable hash layer of hash-aware training (<c>lshk train --hash-bits P</c>): codes = tanh(β·(W·e + b)),
/// forward and backward side by side over <see cref="IHashLayerOp"/> (CPU and GPU forms in src/Kernels/Nn). Row i
/// of W is plane i's normal and b its offset, so the trained layer hashes with sign() exactly as
/// <see cref="StoredPlanes"/> (tensors <c>hash.weight</c>, <c>hash.bias</c>) do at inference. It sits after the
/// embedding network, outside the <see cref="Sequential"/>: the network's output stays the float embedding, and the
/// layer only feeds the episode loss during training.
/// </summary>
public sealed class HashLayer : IDisposable
{
    /// <summary>The random stream the layer initialises from, apart from the network's layers (streams 0, 1, ...).</summary>
    private const ulong InitialisationStream = 0x48415348UL; // "HASH"

    private readonly IHashLayerOp _op;
    private NnBuffer? _codes, _input, _signed;
    private HashLayerShape _shape;
    private float _beta;
    private bool _normalise;

    public HashLayer(INnOps ops, int dim, int planes)
    {
        Kernels.Check.Positive(dim, "dim");
        Kernels.Check.Positive(planes, "hash bits");
        Ops = ops;
        Dim = dim;
        Planes = planes;
        _op = NnOpRegistry.Create<IHashLayerOp>(ops);
        Weight = new Parameter(ops, "weight", [planes, dim]);
        Bias = new Parameter(ops, "bias", [planes]);
    }

    public INnOps Ops { get; }
    public int Dim { get; }
    public int Planes { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    /// <summary>The parameters with the names they have in model files and checkpoints.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters =>
        [(StoredPlanes.WeightName, Weight), (StoredPlanes.BiasName, Bias)];

    /// <summary>
    /// PyTorch's nn.Linear initialisation of the weight (uniform in ±1/√D), drawn from <paramref name="seed"/>. The
    /// bias starts at 0: the embeddings after ReLU and pooling are non-negative, and the balance term moves each
    /// offset to where its bit splits the data.
    /// </summary>
    public void Initialise(ulong seed)
    {
        var stream = new CounterRng(seed, InitialisationStream);
        Weight.Value.CopyFrom(Initialisation.Uniform(stream.Substream(0), Weight.Length, 1.0 / Math.Sqrt(Dim)));
        Ops.Fill(Bias.Value, 0f);
    }

    /// <summary>
    /// The relaxed codes (Batch × P, a buffer the layer owns) of Batch × D <paramref name="embeddings"/>; with
    /// <paramref name="normalise"/>, of each plane's projections divided by their RMS over the batch (see <see cref="IHashLayerOp"/>).
    /// </summary>
    public NnBuffer Forward(NnBuffer embeddings, int batch, float beta, bool normalise = false)
    {
        _shape = new HashLayerShape(batch, Dim, Planes);
        _input = embeddings;
        _beta = beta;
        _normalise = normalise;
        var codes = ReusedBuffer.Ensure(Ops, ref _codes, _shape.Codes);
        _op.Forward(embeddings, Weight.Value, Bias.Value, codes, _shape, beta, normalise);
        return codes;
    }

    /// <summary>
    /// The last forward's codes with the rows from <paramref name="firstSignedRow"/> on of each block of
    /// <paramref name="rowsPerBlock"/> rows replaced by their sign (a buffer the layer owns; see
    /// <see cref="IHashLayerOp.SignRows"/>): what a straight-through code loss scores.
    /// </summary>
    public NnBuffer SignedCodes(int rowsPerBlock, int firstSignedRow)
    {
        Kernels.Check.Positive(rowsPerBlock, "rows per block");
        if (firstSignedRow < 0 || firstSignedRow > rowsPerBlock)
            throw new ArgumentOutOfRangeException(nameof(firstSignedRow), $"must be 0 to {rowsPerBlock} (got {firstSignedRow})");
        var signed = ReusedBuffer.Ensure(Ops, ref _signed, _shape.Codes);
        _op.SignRows(_codes ?? throw NoForward(), signed, _shape, rowsPerBlock, firstSignedRow);
        return signed;
    }

    /// <summary>
    /// Weighs the code loss's gradient in <paramref name="dCodes"/> by <paramref name="codeWeight"/> and adds the
    /// quantisation and bit-balance terms' gradients to it; returns their values.
    /// </summary>
    public HashPenalties AddPenalties(NnBuffer dCodes, float quantisationWeight, float balanceWeight, float codeWeight = 1f) =>
        _op.AddPenaltyGradients(_codes ?? throw NoForward(), dCodes, _shape, quantisationWeight, balanceWeight, codeWeight);

    /// <summary>
    /// Adds the bit-decorrelation term's gradient, times <paramref name="weight"/>, to <paramref name="dCodes"/> and
    /// returns its value (see <see cref="IHashLayerOp.AddDecorrelationGradient"/>).
    /// </summary>
    public float AddDecorrelation(NnBuffer dCodes, float weight) =>
        _op.AddDecorrelationGradient(_codes ?? throw NoForward(), dCodes, _shape, weight);

    /// <summary>Given dL/dcodes of the last forward: accumulates the parameters' gradients and adds dL/dembeddings into <paramref name="dEmbeddings"/>.</summary>
    public void Backward(NnBuffer dCodes, NnBuffer dEmbeddings) =>
        _op.Backward(_input ?? throw NoForward(), Weight.Value, _codes!, dCodes, dEmbeddings, Weight.Grad, Bias.Grad, _shape, _beta, _normalise);

    /// <summary>The trained planes as a model file stores them.</summary>
    public StoredPlanes ToStoredPlanes() => new(Planes, Dim, Weight.Value.ToArray(), Bias.Value.ToArray());

    /// <summary>Sets the weights from stored planes (a checkpoint being resumed).</summary>
    public void Load(StoredPlanes planes)
    {
        if (planes.Count != Planes || planes.Dim != Dim)
            throw new InvalidDataException($"stored hash planes are {planes.Count}×{planes.Dim}, the layer is {Planes}×{Dim}");
        Weight.Value.CopyFrom(planes.Weight);
        Bias.Value.CopyFrom(planes.Bias);
    }

    private static InvalidOperationException NoForward() => new("hash layer: called without a forward");

    public void Dispose()
    {
        _codes?.Dispose();
        _signed?.Dispose();
        _codes = _signed = null;
        Weight.Dispose();
        Bias.Dispose();
        (_op as IDisposable)?.Dispose();
    }
}
