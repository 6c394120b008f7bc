using System.Numerics.Tensors;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// The two N×P×P products of each ITQ iteration on row-major float64 arrays, SIMD (row axpys) and parallel over
/// fixed row blocks. The general-purpose managed matrix product was 10–20× slower at N = 20,000, and these two are
/// all of ITQ's cost. Block partial sums are added in block order, so results do not depend on the thread count.
/// </summary>
internal static class RowMajorProducts
{
    // Rows per parallel block: large enough to amortise a P×P partial sum, small enough to balance two to a few dozen cores.
    private const int BlockRows = 1024;

    /// <summary>Z = V·R for V N×P and R P×Q.</summary>
    public static double[] Multiply(double[] v, int n, int p, double[] r, int q)
    {
        var z = new double[(long)n * q];
        Parallel.For(0, Blocks(n), block =>
        {
            for (int row = block * BlockRows, end = Math.Min(n, row + BlockRows); row < end; row++)
            {
                var zRow = z.AsSpan(row * q, q);
                for (int k = 0; k < p; k++) TensorPrimitives.MultiplyAdd(r.AsSpan(k * q, q), v[row * p + k], zRow, zRow);
            }
        });
        return z;
    }

    /// <summary>Vᵀ·sign(Z) (P×Q) for V N×P and Z N×Q, sign(0) = +1; also returns ‖sign(Z) − Z‖².</summary>
    public static double[] TransposeMultiplySigns(double[] v, int n, int p, double[] z, int q, out double error)
    {
        int blocks = Blocks(n);
        var partial = new double[blocks][];
        var errors = new double[blocks];
        Parallel.For(0, blocks, block =>
        {
            var m = new double[p * q];
            var signs = new double[q];
            double e = 0;
            for (int row = block * BlockRows, end = Math.Min(n, row + BlockRows); row < end; row++)
            {
                for (int c = 0; c < q; c++)
                {
                    double value = z[row * q + c];
                    signs[c] = value >= 0 ? 1.0 : -1.0;
                    e += (signs[c] - value) * (signs[c] - value);
                }
                for (int k = 0; k < p; k++)
                {
                    var mRow = m.AsSpan(k * q, q);
                    TensorPrimitives.MultiplyAdd(signs, v[row * p + k], mRow, mRow);
                }
            }
            partial[block] = m;
            errors[block] = e;
        });
        var result = partial[0];
        error = errors[0];
        for (int b = 1; b < blocks; b++)
        {
            TensorPrimitives.Add(result, partial[b], result);
            error += errors[b];
        }
        return result;
    }

    private static int Blocks(int n) => (n + BlockRows - 1) / BlockRows;
}
