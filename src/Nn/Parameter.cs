using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>A trainable tensor and its gradient (accumulated by backward passes, zeroed by the optimiser each step).</summary>
public sealed class Parameter : IDisposable
{
    internal Parameter(INnOps ops, string name, int[] shape)
    {
        Name = name;
        Shape = shape;
        Length = shape.Aggregate(1, (a, b) => a * b);
        Value = ops.Allocate(Length);
        Grad = ops.Allocate(Length);
    }

    /// <summary>The name within its layer, as PyTorch: "weight" or "bias".</summary>
    public string Name { get; }

    public int[] Shape { get; }
    public int Length { get; }
    public NnBuffer Value { get; }
    public NnBuffer Grad { get; }

    public void Dispose()
    {
        Value.Dispose();
        Grad.Dispose();
    }
}

/// <summary>A non-trainable float tensor saved in model files (batch norm's running statistics).</summary>
public sealed record StateTensor(string Name, int[] Shape, NnBuffer Buffer);
