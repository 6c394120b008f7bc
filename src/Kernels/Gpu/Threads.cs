using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>Index helpers for grid-stride loops over threads and over warps.</summary>
internal static class Threads
{
    /// <summary>This thread's index in the whole grid.</summary>
    public static int Global => Grid.IdxX * Group.DimX + Group.IdxX;

    /// <summary>Threads in the whole grid (the stride of a grid-stride loop).</summary>
    public static int Total => Grid.DimX * Group.DimX;

    /// <summary>This warp's index in the whole grid (groups are whole warps).</summary>
    public static int GlobalWarp => Global / Warp.WarpSize;

    /// <summary>Warps in the whole grid.</summary>
    public static int TotalWarps => Total / Warp.WarpSize;
}
