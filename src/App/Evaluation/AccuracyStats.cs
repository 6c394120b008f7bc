namespace Lshk.App.Evaluation;

/// <summary>Mean accuracy over episodes with its 95% confidence interval, 1.96 · sd / √episodes (sd with n − 1).</summary>
public readonly record struct AccuracyStats(double Mean, double Ci95, int Episodes)
{
    public static AccuracyStats Of(ReadOnlySpan<double> perEpisode)
    {
        int n = perEpisode.Length;
        if (n == 0) return new AccuracyStats(double.NaN, double.NaN, 0);
        double sum = 0;
        foreach (double a in perEpisode) sum += a;
        double mean = sum / n;
        if (n == 1) return new AccuracyStats(mean, 0, 1);
        double squares = 0;
        foreach (double a in perEpisode) squares += (a - mean) * (a - mean);
        double sd = Math.Sqrt(squares / (n - 1));
        return new AccuracyStats(mean, 1.96 * sd / Math.Sqrt(n), n);
    }
}
