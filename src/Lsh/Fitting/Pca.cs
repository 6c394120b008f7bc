using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Principal component analysis of N×D embeddings in float64: the training mean, the top-P eigenvectors of the
/// sample covariance (rows of Components, orthonormal, by decreasing variance) and their variances. As planes, each
/// component is a normal through the training mean: bit i says on which side of the mean x lies along component i.
/// </summary>
public sealed class Pca
{
    private Pca(double[] mean, Matrix<double> components, double[] variances)
    {
        Mean = mean;
        Components = components;
        Variances = variances;
    }

    /// <summary>The training mean (D).</summary>
    public double[] Mean { get; }

    /// <summary>P×D: row i is the i-th principal direction (unit length).</summary>
    public Matrix<double> Components { get; }

    /// <summary>Variance of the training data along each component, decreasing.</summary>
    public double[] Variances { get; }

    public int Count => Components.RowCount;
    public int Dim => Components.ColumnCount;

    /// <summary>Fits P ≤ D components to N×D float32 embeddings (row-major).</summary>
    public static Pca Fit(ReadOnlySpan<float> x, int n, int dim, int components)
    {
        EmbeddingMatrix.Validate(x, n, dim);
        if (components < 1 || components > dim)
            throw new ArgumentOutOfRangeException(nameof(components), components,
                $"PCA gives between 1 and {dim} components for {dim}-dimensional embeddings (asked for {components})");
        var mean = EmbeddingMatrix.Mean(x, n, dim);
        var covariance = EmbeddingMatrix.Covariance(EmbeddingMatrix.Centered(x, n, dim, mean));
        return FromCovariance(mean, covariance, components);
    }

    /// <summary>The top components of a given covariance (symmetric D×D) around a given mean.</summary>
    public static Pca FromCovariance(double[] mean, Matrix<double> covariance, int components)
    {
        int dim = covariance.RowCount;
        var evd = covariance.Evd(Symmetricity.Symmetric);
        // The order of a symmetric EVD's eigenvalues is the library's business: sort explicitly, largest first,
        // ties broken by index so the result is deterministic.
        var order = Enumerable.Range(0, dim)
            .OrderByDescending(i => evd.EigenValues[i].Real).ThenBy(i => i).Take(components).ToArray();
        var result = Matrix<double>.Build.Dense(components, dim);
        var variances = new double[components];
        for (int k = 0; k < components; k++)
        {
            var v = evd.EigenVectors.Column(order[k]);
            // An eigenvector's sign is arbitrary; fix it (largest-magnitude entry positive) so fits are reproducible.
            int peak = v.AbsoluteMaximumIndex();
            if (v[peak] < 0) v = v.Negate();
            result.SetRow(k, v.Normalize(2));
            // Rounding can leave tiny negative eigenvalues of a positive semi-definite matrix.
            variances[k] = Math.Max(0, evd.EigenValues[order[k]].Real);
        }
        return new Pca(mean, result, variances);
    }

    /// <summary>N×P float64 projections of the centred data onto the components.</summary>
    public Matrix<double> Project(Matrix<double> centered) => centered.TransposeAndMultiply(Components);

    /// <summary>The components as hyperplanes through the training mean.</summary>
    public PlaneSet ToPlanes() => PlaneSets.FromRows(Components, Mean);
}
