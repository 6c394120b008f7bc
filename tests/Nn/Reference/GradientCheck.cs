namespace Lshk.Tests.Nn.Reference;

/// <summary>Finite-difference tools for checking backward passes.</summary>
public static class GradientCheck
{
    /// <summary>
    /// Central differences in float64: for each checked index i, (f(θ + h·e_i) − f(θ − h·e_i)) / 2h, where f is a
    /// scalar function of θ. <paramref name="indices"/> picks which coordinates (all when null).
    /// </summary>
    public static double[] CentralDifferences(Func<double[], double> f, double[] theta, double h = 1e-5,
        IEnumerable<int>? indices = null)
    {
        var result = new double[theta.Length];
        foreach (int i in indices ?? Enumerable.Range(0, theta.Length))
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double plus = f(theta);
            theta[i] = saved - h;
            double minus = f(theta);
            theta[i] = saved;
            result[i] = (plus - minus) / (2 * h);
        }
        return result;
    }

    /// <summary>Σ r_i·y_i: a scalar loss whose gradient with respect to y is r.</summary>
    public static double Weighted(double[] y, double[] r)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += y[i] * r[i];
        return sum;
    }

    public static double Weighted(float[] y, double[] r)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += y[i] * r[i];
        return sum;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static double Dot(float[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Asserts |actual − expected| ≤ tolerance · max(1, max|expected|) element-wise, naming the first failure.</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what, IEnumerable<int>? indices = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-300, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        scale = Math.Max(scale, 1.0);
        foreach (int i in indices ?? Enumerable.Range(0, expected.Length))
        {
            double err = Math.Abs(expected[i] - actual[i]);
            if (!(err <= tolerance * scale))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9} (error {err:G3}, allowed {tolerance * scale:G3})");
        }
    }

    public static void AssertClose(double[] expected, float[] actual, double tolerance, string what) =>
        AssertClose(expected, actual.Select(v => (double)v).ToArray(), tolerance, what);
}
