namespace Lshk.Nn;

/// <summary>
/// How much of a network runs as fused operations (the results are the same up to float rounding).
/// <para>By default (<see cref="ConvBlock"/>) <see cref="Sequential"/> runs each Conv2d → BatchNorm2d → ReLU → MaxPool2d
/// block as one <see cref="Fused.ConvBatchNormReluPool"/> step, and a batch norm followed by ReLU and pooling without
/// a convolution before it as one <see cref="Fused.BatchNormReluPool"/> step, so there the layers' own forward and
/// backward are not the code that runs: they run only outside such blocks, or with <see cref="None"/>.</para>
/// </summary>
public enum Fusion
{
    /// <summary>Every layer on its own.</summary>
    None,

    /// <summary>BatchNorm2d → ReLU → MaxPool2d as one operation (the normalised and rectified tensors are never stored).</summary>
    NormReluPool,

    /// <summary>
    /// Conv2d → BatchNorm2d → ReLU → MaxPool2d as one operation (also no full-size gradient of the conv output), and
    /// Conv2d → ReLU → MaxPool2d without batch norm as one step that rectifies after pooling (<see cref="Fused.ConvReluPool"/>).
    /// </summary>
    ConvBlock,
}
