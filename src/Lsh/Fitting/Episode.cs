using Lshk.Kernels;

namespace Lshk.Lsh.Fitting;

/// <summary>One episode's support set, centred on its mean in float64, ready for one-vs-rest SVMs.</summary>
internal sealed class Episode
{
    private readonly double[] _centered;

    private Episode(double[] centered, double[] center, int[] labels, int n, int dim)
    {
        _centered = centered;
        Center = center;
        Labels = labels;
        N = n;
        Dim = dim;
    }

    public double[] Center { get; }
    public int[] Labels { get; }
    public int N { get; }
    public int Dim { get; }

    public static Episode Create(ReadOnlySpan<float> support, int n, int dim, ReadOnlySpan<int> labels, int ways)
    {
        EmbeddingMatrix.Validate(support, n, dim, "support embeddings");
        Check.Positive(ways, "ways");
        Check.Length(labels, n, "labels");
        Check.Labels(labels, ways, "labels");
        var counts = new int[ways];
        foreach (int label in labels) counts[label]++;
        int missing = Array.IndexOf(counts, 0);
        if (missing >= 0) throw new ArgumentException($"class {missing} has no support; every class needs at least one", nameof(labels));
        if (ways < 2) throw new ArgumentException("one-vs-rest planes need at least two classes", nameof(ways));
        var center = EmbeddingMatrix.Mean(support, n, dim);
        var centered = new double[n * dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < dim; j++) centered[r * dim + j] = support[r * dim + j] - center[j];
        return new Episode(centered, center, labels.ToArray(), n, dim);
    }

    public float[] CenterAsFloat() => EmbeddingMatrix.ToFloat(Center);

    /// <summary>
    /// Fits class `positive` against the other classes on the given rows and features; writes the plane's normal
    /// (zero off the features) and its offset for centred embeddings.
    /// </summary>
    public LinearSvm FitPlane(int positive, int[] rows, int[] features, SvmOptions options, Span<float> normal, out float offset)
    {
        int m = rows.Length, k = features.Length;
        var x = new double[m * k];
        var y = new int[m];
        for (int r = 0; r < m; r++)
        {
            y[r] = Labels[rows[r]] == positive ? 1 : -1;
            for (int j = 0; j < k; j++) x[r * k + j] = _centered[rows[r] * Dim + features[j]];
        }
        var svm = LinearSvm.Train(x, m, k, y, options);
        normal.Clear();
        for (int j = 0; j < k; j++) normal[features[j]] = (float)svm.Weights[j];
        offset = (float)svm.Bias;
        return svm;
    }
}
