using Lshk.Kernels.Random;
using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Lsh.Fitting;

/// <summary>Seeded random matrices from counter-based streams: the same seed gives the same matrix everywhere.</summary>
public static class RandomMatrices
{
    /// <summary>Rows×columns of independent standard normals; entry (r, c) is counter r·columns + c of the stream.</summary>
    public static Matrix<double> Gaussian(int rows, int columns, ulong seed, ulong stream)
    {
        var rng = new CounterRng(seed, stream);
        return Matrix<double>.Build.Dense(rows, columns, (r, c) => rng.Normal((ulong)r * (ulong)columns + (ulong)c));
    }

    /// <summary>
    /// A size×size orthogonal matrix drawn uniformly (Haar): the Q of a Gaussian matrix's QR, with columns signed
    /// by R's diagonal, without which Q would be biased towards the factorisation's own sign convention.
    /// </summary>
    public static Matrix<double> Orthogonal(int size, ulong seed, ulong stream)
    {
        var qr = Gaussian(size, size, seed, stream).QR();
        var q = qr.Q.Clone();
        for (int c = 0; c < size; c++)
            if (qr.R[c, c] < 0) q.SetColumn(c, q.Column(c).Negate());
        return q;
    }
}
