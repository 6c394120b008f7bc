namespace Lshk.App.Evaluation;

/// <summary>
/// A mean accuracy with its 95% interval [<see cref="Low"/>, <see cref="High"/>] and <see cref="Ci95"/>, the interval's
/// half-width. <see cref="Count"/> is what the interval is over: episodes (<see cref="Of"/>) or queries (<see cref="Wilson"/>).
/// </summary>
public readonly record struct AccuracyStats(double Mean, double Ci95, int Count, double Low, double High)
{
    /// <summary>z of a two-sided 95% normal interval.</summary>
    public const double Z95 = 1.96;

    /// <summary>
    /// Over episodes (fresh episodes, a replayed list): the mean of the per-episode accuracies ± 1.96 · sd / √episodes
    /// (sd with n − 1), a normal approximation for the mean of independent episodes.
    /// </summary>
    public static AccuracyStats Of(ReadOnlySpan<double> perEpisode)
    {
        int n = perEpisode.Length;
        if (n == 0) return new AccuracyStats(double.NaN, double.NaN, 0, double.NaN, double.NaN);
        double sum = 0;
        foreach (double a in perEpisode) sum += a;
        double mean = sum / n;
        if (n == 1) return new AccuracyStats(mean, 0, 1, mean, mean);
        double squares = 0;
        foreach (double a in perEpisode) squares += (a - mean) * (a - mean);
        double sd = Math.Sqrt(squares / (n - 1));
        double ci = Z95 * sd / Math.Sqrt(n);
        return new AccuracyStats(mean, ci, n, mean - ci, mean + ci);
    }

    /// <summary>
    /// Over the queries of one fixed support set (the constant protocol): the fraction correct with its 95% Wilson score
    /// interval. Wilson rather than the normal approximation p ± 1.96·√(p(1−p)/n) because that one collapses to zero
    /// width at 0 % and 100 %, where a few dozen queries often land. The interval is not centred on the fraction, so
    /// <see cref="Ci95"/> is its half-width, and <see cref="Low"/>/<see cref="High"/> are its ends.
    /// </summary>
    public static AccuracyStats Wilson(int correct, int queries)
    {
        if (queries < 1) return new AccuracyStats(double.NaN, double.NaN, 0, double.NaN, double.NaN);
        double n = queries, p = correct / n, z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new AccuracyStats(p, half, queries, centre - half, centre + half);
    }
}
