using Lshk.Kernels.Random;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// A linear SVM with the hinge (L1) loss, solved in the dual by coordinate descent (Hsieh et al., ICML 2008, the
/// LIBLINEAR solver): minimise ½‖w̃‖² + C·Σ max(0, 1 − yᵢ w̃·x̃ᵢ) with x̃ = [x, 1], so the bias is the last weight and is
/// regularised with the others (as LIBLINEAR and scikit-learn's LinearSVC do; a single coordinate cannot keep the
/// Σαᵢyᵢ = 0 constraint an unregularised bias brings). Each epoch visits the examples in a seeded random order and
/// updates one dual variable in closed form; training stops when every projected gradient is within the tolerance.
/// All arithmetic is float64.
/// </summary>
public sealed class LinearSvm
{
    /// <summary>The constant feature appended for the bias (LIBLINEAR's default B = 1).</summary>
    public const double BiasFeature = 1.0;

    private LinearSvm(double[] weights, double bias, double[] alphas, int epochs, double gap, bool converged)
    {
        Weights = weights;
        Bias = bias;
        Alphas = alphas;
        Epochs = epochs;
        Gap = gap;
        Converged = converged;
    }

    /// <summary>w (D).</summary>
    public double[] Weights { get; }

    /// <summary>b: f(x) = w·x + b.</summary>
    public double Bias { get; }

    /// <summary>The dual variables, one per example, in [0, C].</summary>
    public double[] Alphas { get; }

    public int Epochs { get; }

    /// <summary>max |projected gradient| at the returned solution (≤ Tolerance when Converged).</summary>
    public double Gap { get; }

    public bool Converged { get; }

    public double Decision(ReadOnlySpan<double> x)
    {
        double f = Bias;
        for (int j = 0; j < Weights.Length; j++) f += Weights[j] * x[j];
        return f;
    }

    /// <summary>½(‖w‖² + b²) + C·Σ hinge: the objective this SVM minimises.</summary>
    public static double PrimalObjective(ReadOnlySpan<double> weights, double bias, ReadOnlySpan<double> x, int n, ReadOnlySpan<int> y, double c)
    {
        int dim = weights.Length;
        double norm = bias * bias / (BiasFeature * BiasFeature);
        for (int j = 0; j < dim; j++) norm += weights[j] * weights[j];
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            double f = bias;
            for (int j = 0; j < dim; j++) f += weights[j] * x[i * dim + j];
            loss += Math.Max(0, 1 - y[i] * f);
        }
        return 0.5 * norm + c * loss;
    }

    /// <summary>Σα − ½‖w̃‖²: the dual objective at this solution (a lower bound on the primal minimum).</summary>
    public double DualObjective()
    {
        double norm = Bias * Bias / (BiasFeature * BiasFeature);
        foreach (double w in Weights) norm += w * w;
        return Alphas.Sum() - 0.5 * norm;
    }

    /// <summary>Trains on N×D float64 rows with labels ±1.</summary>
    public static LinearSvm Train(ReadOnlySpan<double> x, int n, int dim, ReadOnlySpan<int> y, SvmOptions? options = null)
    {
        options ??= new SvmOptions();
        options.Validate();
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "the SVM needs at least one example");
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "the SVM needs at least one feature");
        if (x.Length != (long)n * dim) throw new ArgumentException($"x has {x.Length} values, expected {n}×{dim}", nameof(x));
        if (y.Length != n) throw new ArgumentException($"{y.Length} labels for {n} examples", nameof(y));
        for (int i = 0; i < n; i++)
            if (y[i] is not (1 or -1)) throw new ArgumentException($"label {i} is {y[i]}; SVM labels are +1 or -1", nameof(y));
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i])) throw new ArgumentException($"x[{i}] = {x[i]}; values must be finite", nameof(x));

        double c = options.C;
        var w = new double[dim + 1];          // the last entry multiplies BiasFeature
        var alpha = new double[n];
        var qii = new double[n];               // ‖x̃ᵢ‖², the diagonal of the dual Hessian
        for (int i = 0; i < n; i++)
        {
            double s = BiasFeature * BiasFeature;
            for (int j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
            qii[i] = s;
        }
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var rng = new CounterRng(options.Seed, 0);

        int epoch = 0;
        double gap = MaxProjectedGradient(x, n, dim, y, w, alpha, c);
        while (gap > options.Tolerance && epoch < options.MaxEpochs)
        {
            Shuffle(order, rng, epoch);
            foreach (int i in order)
            {
                double g = y[i] * Dot(w, x.Slice(i * dim, dim)) - 1;
                if (ProjectedGradient(g, alpha[i], c) == 0) continue;
                // The exact minimiser of the dual along coordinate i, clipped to the box [0, C].
                double updated = Math.Clamp(alpha[i] - g / qii[i], 0, c);
                double step = (updated - alpha[i]) * y[i];
                alpha[i] = updated;
                for (int j = 0; j < dim; j++) w[j] += step * x[i * dim + j];
                w[dim] += step * BiasFeature;
            }
            epoch++;
            gap = MaxProjectedGradient(x, n, dim, y, w, alpha, c);
        }
        return new LinearSvm(w[..dim], w[dim] * BiasFeature, alpha, epoch, gap, gap <= options.Tolerance);
    }

    // The gradient of the dual along αᵢ, projected on the box: zero where a bound already stops the move.
    private static double ProjectedGradient(double g, double alpha, double c) =>
        alpha <= 0 ? Math.Min(g, 0) : alpha >= c ? Math.Max(g, 0) : g;

    private static double MaxProjectedGradient(ReadOnlySpan<double> x, int n, int dim, ReadOnlySpan<int> y, double[] w, double[] alpha, double c)
    {
        double max = 0;
        for (int i = 0; i < n; i++)
        {
            double g = y[i] * Dot(w, x.Slice(i * dim, dim)) - 1;
            max = Math.Max(max, Math.Abs(ProjectedGradient(g, alpha[i], c)));
        }
        return max;
    }

    // w̃·x̃ for x̃ = [x, BiasFeature].
    private static double Dot(double[] w, ReadOnlySpan<double> x)
    {
        double s = w[x.Length] * BiasFeature;
        for (int j = 0; j < x.Length; j++) s += w[j] * x[j];
        return s;
    }

    // Fisher–Yates from counter-based draws: the order depends only on (seed, epoch).
    private static void Shuffle(int[] order, CounterRng rng, int epoch)
    {
        ulong counter = (ulong)epoch * (ulong)order.Length;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int k = rng.Below(counter++, i + 1);
            (order[i], order[k]) = (order[k], order[i]);
        }
    }
}
