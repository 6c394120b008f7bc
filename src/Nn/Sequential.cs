using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn.Fused;
using Lshk.Nn.Layers;

namespace Lshk.Nn;

/// <summary>
/// Layers applied in order, like PyTorch's <c>nn.Sequential</c>: parameter i of layer k is named "k.name" (e.g.
/// "0.weight", "1.running_mean"). <see cref="Fusion"/> decides which runs of layers execute as one fused operation
/// (the steps in <c>src/Nn/Fused</c>); the layers, their parameters and names stay as they are.
/// </summary>
public sealed class Sequential : IDisposable
{
    private readonly Layer[] _layers;
    private Step[] _steps = [];
    private Nchw[] _inputShapes = [];
    private Fusion _fusion;
    private bool _trainedForward;

    public Sequential(INnOps ops, IEnumerable<Layer> layers, bool fuse = true)
        : this(ops, layers, fuse ? Fusion.ConvBlock : Fusion.None)
    {
    }

    public Sequential(INnOps ops, IEnumerable<Layer> layers, Fusion fusion)
    {
        Ops = ops;
        _layers = layers.ToArray();
        if (_layers.Length == 0) throw new ArgumentException("a network needs at least one layer");
        foreach (var layer in _layers)
            if (!ReferenceEquals(layer.Ops, ops))
                throw new ArgumentException($"layer {layer.Kind} was made with other operations than the network");
        _steps = BuildSteps(_layers, fusion);
        _inputShapes = new Nchw[_steps.Length];
        _fusion = fusion;
    }

    public INnOps Ops { get; }
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Which runs of layers execute fused (default <see cref="Fusion.ConvBlock"/>).</summary>
    public Fusion Fusion
    {
        get => _fusion;
        set
        {
            if (value == _fusion) return;
            foreach (var step in _steps) step.Dispose();
            _fusion = value;
            _steps = BuildSteps(_layers, value);
            _inputShapes = new Nchw[_steps.Length];
            _trainedForward = false;
        }
    }

    public Nchw OutputShape(Nchw input)
    {
        foreach (var layer in _layers) input = layer.OutputShape(input);
        return input;
    }

    /// <summary>Every parameter with its PyTorch name, in layer order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        for (int i = 0; i < _layers.Length; i++)
            foreach (var p in _layers[i].Parameters)
                yield return ($"{i}.{p.Name}", p);
    }

    public IReadOnlyList<Parameter> Parameters => _layers.SelectMany(l => l.Parameters).ToArray();

    /// <summary>Runs the network; the result is a buffer owned by the last step (valid until the next forward).</summary>
    public NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        if (x.Length != shape.Length) throw new ArgumentException($"network input has {x.Length} values, expected {shape.Length} ({shape})");
        for (int i = 0; i < _steps.Length; i++)
        {
            _inputShapes[i] = shape;
            x = _steps[i].Forward(x, shape, training);
            shape = _steps[i].OutputShape(shape);
        }
        _trainedForward = training;
        return x;
    }

    /// <summary>
    /// Back-propagates dL/d(output) of the last (training) forward, accumulating every parameter's gradient.
    /// Returns dL/d(input) when <paramref name="inputGradient"/> is set, else null (the usual case: images need none).
    /// </summary>
    public NnBuffer? Backward(NnBuffer dOutput, bool inputGradient = false)
    {
        if (!_trainedForward) throw new InvalidOperationException("backward needs a training-mode forward first");
        NnBuffer? dy = dOutput;
        for (int i = _steps.Length - 1; i >= 0 && dy is not null; i--)
            dy = _steps[i].Backward(dy, _inputShapes[i], inputGradient || i > 0);
        return dy;
    }

    public void ZeroGrad()
    {
        foreach (var layer in _layers)
            foreach (var p in layer.Parameters)
                Ops.Fill(p.Grad, 0f);
    }

    /// <summary>PyTorch's default initialisation of every layer; layer k draws from stream k of <paramref name="seed"/>.</summary>
    public void Initialise(ulong seed)
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Initialise(new CounterRng(seed, (ulong)i));
            if (_layers[i] is Dropout dropout) dropout.Seed = seed;
        }
    }

    public void Dispose()
    {
        foreach (var step in _steps) step.Dispose();
        foreach (var layer in _layers) layer.Dispose();
    }

    // ------------------------------------------------------------------ which runs fuse

    /// <summary>
    /// The steps that run: each Conv2d → BatchNorm2d → ReLU → MaxPool2d run as one <see cref="ConvBatchNormReluPool"/>
    /// (<see cref="Fusion.ConvBlock"/>), each Conv2d → ReLU → MaxPool2d (no batch norm) as one <see cref="ConvReluPool"/>
    /// (<see cref="Fusion.ConvBlock"/>), each remaining BatchNorm2d → ReLU → MaxPool2d run as one
    /// <see cref="BatchNormReluPool"/> (any fusion but <see cref="Fusion.None"/>), every other layer on its own.
    /// </summary>
    private static Step[] BuildSteps(Layer[] layers, Fusion fusion)
    {
        var steps = new List<Step>();
        for (int i = 0; i < layers.Length; i++)
        {
            if (fusion == Fusion.ConvBlock && i + 3 < layers.Length && layers[i] is Conv2d conv && layers[i + 1] is BatchNorm2d cbn
                && layers[i + 2] is ReLU && layers[i + 3] is MaxPool2d)
            {
                steps.Add(new ConvBatchNormReluPool(conv, cbn));
                i += 3;
            }
            else if (fusion == Fusion.ConvBlock && i + 2 < layers.Length && layers[i] is Conv2d plainConv && layers[i + 1] is ReLU
                     && layers[i + 2] is MaxPool2d)
            {
                steps.Add(new ConvReluPool(plainConv));
                i += 2;
            }
            else if (fusion != Fusion.None && i + 2 < layers.Length && layers[i] is BatchNorm2d bn && layers[i + 1] is ReLU
                     && layers[i + 2] is MaxPool2d)
            {
                steps.Add(new BatchNormReluPool(bn));
                i += 2;
            }
            else
            {
                steps.Add(new LayerStep(layers[i]));
            }
        }
        return steps.ToArray();
    }
}
