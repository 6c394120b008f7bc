using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn.Layers;

namespace Lshk.Nn;

/// <summary>How much of a network runs as fused operations (the results are the same up to float rounding).</summary>
public enum Fusion
{
    /// <summary>Every layer on its own.</summary>
    None,

    /// <summary>BatchNorm2d → ReLU → MaxPool2d as one operation (the normalised and rectified tensors are never stored).</summary>
    NormReluPool,

    /// <summary>Conv2d → BatchNorm2d → ReLU → MaxPool2d as one operation (also no full-size gradient of the conv output).</summary>
    ConvBlock,
}

/// <summary>
/// Layers applied in order, like PyTorch's <c>nn.Sequential</c>: parameter i of layer k is named "k.name" (e.g.
/// "0.weight", "1.running_mean"). <see cref="Fusion"/> decides which runs of layers execute as one fused operation;
/// the layers, their parameters and names stay as they are.
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

    // ------------------------------------------------------------------ execution steps

    private static Step[] BuildSteps(Layer[] layers, Fusion fusion)
    {
        var steps = new List<Step>();
        for (int i = 0; i < layers.Length; i++)
        {
            if (fusion == Fusion.ConvBlock && i + 3 < layers.Length && layers[i] is Conv2d conv && layers[i + 1] is BatchNorm2d cbn
                && layers[i + 2] is ReLU && layers[i + 3] is MaxPool2d)
            {
                steps.Add(new ConvBlockStep(conv, cbn));
                i += 3;
            }
            else if (fusion != Fusion.None && i + 2 < layers.Length && layers[i] is BatchNorm2d bn && layers[i + 1] is ReLU
                     && layers[i + 2] is MaxPool2d)
            {
                steps.Add(new FusedStep(bn));
                i += 2;
            }
            else
            {
                steps.Add(new LayerStep(layers[i]));
            }
        }
        return steps.ToArray();
    }

    private abstract class Step : IDisposable
    {
        public abstract Nchw OutputShape(Nchw input);
        public abstract NnBuffer Forward(NnBuffer x, Nchw shape, bool training);
        public abstract NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient);

        public virtual void Dispose()
        {
        }
    }

    private sealed class LayerStep(Layer layer) : Step
    {
        public override Nchw OutputShape(Nchw input) => layer.OutputShape(input);
        public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training) => layer.Forward(x, shape, training);
        public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient) => layer.Backward(dy, inputGradient);
    }

    /// <summary>
    /// Conv2d → BatchNorm2d → ReLU → MaxPool2d(2) as one operation, with the layers' parameters and state. It keeps the
    /// convolution's output (the batch norm's input) for the backward, and the input for the weight gradient.
    /// </summary>
    private sealed class ConvBlockStep(Conv2d conv, BatchNorm2d bn) : Step
    {
        private NnBuffer? _convOut, _pooled, _dx, _input;
        private Conv2dShape _shape;

        public override Nchw OutputShape(Nchw input)
        {
            var convShape = conv.OutputShape(input);
            bn.OutputShape(convShape);
            if (convShape.Height < 2 || convShape.Width < 2)
                throw new ArgumentException($"MaxPool2d(2) needs an input of at least 2×2 (got {convShape})");
            return convShape.Pooled;
        }

        public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
        {
            var pooledShape = OutputShape(shape);
            _shape = conv.ShapeFor(shape);
            var convOut = Ensure(ref _convOut, _shape.OutputLength);
            var pooled = Ensure(ref _pooled, pooledShape.Length);
            conv.Ops.ConvBlockForward(_shape, x, conv.Weight.Value, conv.Bias?.Value, convOut, pooled, bn.Buffers, training,
                bn.Momentum, bn.Epsilon);
            if (training) bn.NumBatchesTracked++;
            _input = x;
            return pooled;
        }

        public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient)
        {
            var dx = inputGradient ? Ensure(ref _dx, _shape.InputLength) : null;
            conv.Ops.ConvBlockBackward(_shape, _input!, conv.Weight.Value, _convOut!, dy, dx, conv.Weight.Grad, conv.Bias?.Grad,
                bn.Buffers);
            return dx;
        }

        private NnBuffer Ensure(ref NnBuffer? buffer, int length)
        {
            if (buffer is null || buffer.Length != length)
            {
                buffer?.Dispose();
                buffer = conv.Ops.Allocate(length);
            }
            return buffer;
        }

        public override void Dispose()
        {
            _convOut?.Dispose();
            _pooled?.Dispose();
            _dx?.Dispose();
        }
    }

    /// <summary>BatchNorm2d → ReLU → MaxPool2d(2) as one operation, with the batch-norm layer's parameters and state.</summary>
    private sealed class FusedStep(BatchNorm2d bn) : Step
    {
        private NnBuffer? _pooled, _dx, _input;

        public override Nchw OutputShape(Nchw input)
        {
            bn.OutputShape(input);
            if (input.Height < 2 || input.Width < 2)
                throw new ArgumentException($"MaxPool2d(2) needs an input of at least 2×2 (got {input})");
            return input.Pooled;
        }

        public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
        {
            var pooled = Ensure(ref _pooled, OutputShape(shape).Length);
            bn.Ops.BatchNormReluPoolForward(shape, x, pooled, bn.Buffers, training, bn.Momentum, bn.Epsilon);
            if (training) bn.NumBatchesTracked++;
            _input = x;
            return pooled;
        }

        public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient)
        {
            var dx = Ensure(ref _dx, inputShape.Length);
            bn.Ops.BatchNormReluPoolBackward(inputShape, _input!, dy, dx, bn.Buffers);
            return inputGradient ? dx : null;
        }

        private NnBuffer Ensure(ref NnBuffer? buffer, int length)
        {
            if (buffer is null || buffer.Length != length)
            {
                buffer?.Dispose();
                buffer = bn.Ops.Allocate(length);
            }
            return buffer;
        }

        public override void Dispose()
        {
            _pooled?.Dispose();
            _dx?.Dispose();
        }
    }
}
