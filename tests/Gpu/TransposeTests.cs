using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>The host transpose that lays supports out element-major for the GPU kernels, small and past its parallel threshold.</summary>
public class TransposeTests
{
    [Theory]
    [InlineData(7, 3)]
    [InlineData((1 << 20) + 3, 5)] // 5.2 M elements: the parallel, pinned path, with a ragged last block
    public void EveryElementLandsAtColumnTimesRowsPlusRow(int rows, int cols)
    {
        var source = new uint[(long)rows * cols];
        for (long i = 0; i < source.LongLength; i++) source[i] = (uint)(i * 2654435761u);
        uint[] result = IlgpuBackend.Transpose<uint>(source, rows, cols);
        for (int r = 0; r < rows; r += rows > 100 ? 997 : 1)
            for (int c = 0; c < cols; c++)
                Assert.Equal(source[(long)r * cols + c], result[(long)c * rows + r]);
        Assert.Equal(source[^1], result[^1]);
        Assert.Equal(source.Select(v => (ulong)v).Aggregate(0UL, (a, v) => a + v), result.Select(v => (ulong)v).Aggregate(0UL, (a, v) => a + v));
    }
}
