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
