using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Iterative quantisation (Gong &amp; Lazebnik, CVPR 2011): project centred embeddings to P dimensions (V = (X − μ)Wᵀ),
/// then find the orthogonal R that minimises the quantisation error ‖B − VR‖² by alternating B = sign(VR) (optimal
/// for a fixed R) and R = the orthogonal Procrustes solution for a fixed B. Neither step can raise the error, so
/// QuantizationErrors never increases. Codes are sign(VR): the planes are the rows of RᵀW, through the training mean.
/// <para>
/// P ≤ D: W is the top-P PCA directions, as the paper. P &gt; D (e.g. 256 bits from a 64-d embedding): PCA has only D
/// directions, so W is instead a seeded P×D Gaussian projection (over-complete: V has rank D in P dimensions) and ITQ
/// rotates that. Compared with simply using those Gaussian planes (SimHash), the rotation spreads the D-dimensional
/// data towards the cube's vertices so fewer points sit near a plane; OverCompleteItqTests measures the effect.
/// </para>
/// </summary>
public sealed class Itq
{
    /// <summary>The paper's iteration count; it reports the error flat well before it.</summary>
    public const int DefaultIterations = 50;

    // Stream ids under the caller's seed, one per purpose, so the start rotation and the over-complete projection
    // never share random numbers.
    private const ulong RotationStream = 1;
    private const ulong ProjectionStream = 2;

    private Itq(double[] mean, Matrix<double> projection, Matrix<double> rotation, double[] errors, bool overComplete)
    {
        Mean = mean;
        Projection = projection;
        Rotation = rotation;
        QuantizationErrors = errors;
        OverComplete = overComplete;
    }

    /// <summary>The training mean (D).</summary>
    public double[] Mean { get; }

    /// <summary>P×D: PCA directions (P ≤ D) or the seeded Gaussian projection (P &gt; D).</summary>
    public Matrix<double> Projection { get; }

    /// <summary>P×P orthogonal rotation.</summary>
    public Matrix<double> Rotation { get; }

    /// <summary>‖sign(VR) − VR‖²/N for the start rotation and after each iteration (iterations + 1 values).</summary>
    public double[] QuantizationErrors { get; }

    /// <summary>Whether P &gt; D and the projection is a random over-complete one rather than PCA.</summary>
    public bool OverComplete { get; }

    public int Count => Rotation.ColumnCount;
    public int Dim => Projection.ColumnCount;

    /// <summary>Fits P-bit ITQ planes to N×D float32 embeddings; the seed fixes the start rotation (and W for P &gt; D).</summary>
    public static Itq Fit(ReadOnlySpan<float> x, int n, int dim, int bits, ulong seed, int iterations = DefaultIterations)
    {
        EmbeddingMatrix.Validate(x, n, dim);
        if (bits < 1) throw new ArgumentOutOfRangeException(nameof(bits), bits, $"bits must be at least 1 (got {bits})");
        if (iterations < 0)
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"iterations must not be negative (got {iterations})");
        var mean = EmbeddingMatrix.Mean(x, n, dim);
        var centered = EmbeddingMatrix.Centered(x, n, dim, mean);
        bool overComplete = bits > dim;
        var projection = overComplete
            ? RandomMatrices.Gaussian(bits, dim, seed, ProjectionStream)
            : Pca.FromCovariance(mean, EmbeddingMatrix.Covariance(centered), bits).Components;
        var v = centered.TransposeAndMultiply(projection);
        var (rotation, errors) = Rotate(v, RandomMatrices.Orthogonal(bits, seed, RotationStream), iterations);
        return new Itq(mean, projection, rotation, errors, overComplete);
    }

    /// <summary>
    /// The ITQ iterations on N×P data V from a start rotation: returns the final R and the error of each R
    /// (start included), each divided by N.
    /// </summary>
    public static (Matrix<double> Rotation, double[] Errors) Rotate(Matrix<double> v, Matrix<double> start, int iterations)
    {
        int n = v.RowCount, p = v.ColumnCount;
        var rows = v.ToRowMajorArray();
        var rotation = start;
        var errors = new double[iterations + 1];
        var m = SignProduct(rows, n, p, rotation, out errors[0]);
        for (int t = 1; t <= iterations; t++)
        {
            // Procrustes: R maximising tr(Bᵀ V R) is U·Wᵀ for the SVD U S Wᵀ of Vᵀ B.
            var svd = m.Svd(computeVectors: true);
            rotation = svd.U * svd.VT;
            m = SignProduct(rows, n, p, rotation, out errors[t]);
        }
        for (int t = 0; t <= iterations; t++) errors[t] /= n;
        return (rotation, errors);
    }

    // Vᵀ·sign(V·R) and the quantisation error of R: one iteration's two products.
    private static Matrix<double> SignProduct(double[] v, int n, int p, Matrix<double> rotation, out double error)
    {
        var z = RowMajorProducts.Multiply(v, n, p, rotation.ToRowMajorArray(), p);
        var m = RowMajorProducts.TransposeMultiplySigns(v, n, p, z, p, out error);
        return Matrix<double>.Build.DenseOfRowMajor(p, p, m);
    }

    /// <summary>The P planes (rows of RᵀW) through the training mean.</summary>
    public PlaneSet ToPlanes() => PlaneSets.FromRows(Rotation.TransposeThisAndMultiply(Projection), Mean);
}
