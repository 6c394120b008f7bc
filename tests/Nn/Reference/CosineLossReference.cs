using Lshk.Kernels.Nn;

namespace Lshk.Tests.Nn.Reference;

/// <summary>
/// The matching and cosine-mean losses written from their definitions in float64, forward only (tests take the
/// gradient by central differences): cosines with norms √(‖e‖² + ε), then for matching a softmax over the supports
/// whose probabilities are summed per class, for cosine-mean a softmax over the classes' mean cosines (with a margin m,
/// the loss's softmax sees the true class's mean cosine minus m; the predicted class is of the plain cosines).
/// </summary>
public static class CosineLossReference
{
    /// <summary>The loss (mean over queries) and each query's predicted class (ties to the lower class).</summary>
    public static (double Loss, int[] Predicted) Evaluate(double[] e, EpisodeShape ep, CosineLossMode mode, double scale, double margin = 0)
    {
        int d = ep.Dim, queries = ep.Ways * ep.Queries;
        double Cosine(int a, int b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < d; j++)
            {
                dot += e[a * d + j] * e[b * d + j];
                na += e[a * d + j] * e[a * d + j];
                nb += e[b * d + j] * e[b * d + j];
            }
            return dot / Math.Sqrt(na + CosineLoss.NormEpsilon) / Math.Sqrt(nb + CosineLoss.NormEpsilon);
        }

        double loss = 0;
        var predicted = new int[queries];
        for (int q = 0; q < queries; q++)
        {
            int y = q / ep.Queries, row = y * ep.PerClass + ep.Shots + q % ep.Queries;
            var classProbability = new double[ep.Ways];
            if (mode == CosineLossMode.Matching)
            {
                var logits = new double[ep.Ways * ep.Shots];
                for (int c = 0; c < ep.Ways; c++)
                    for (int s = 0; s < ep.Shots; s++)
                        logits[c * ep.Shots + s] = scale * Cosine(row, c * ep.PerClass + s);
                var p = Softmax(logits);
                for (int i = 0; i < p.Length; i++) classProbability[i / ep.Shots] += p[i];
            }
            else
            {
                var logits = new double[ep.Ways];
                for (int c = 0; c < ep.Ways; c++)
                {
                    for (int s = 0; s < ep.Shots; s++) logits[c] += Cosine(row, c * ep.PerClass + s);
                    logits[c] *= scale / ep.Shots;
                }
                classProbability = Softmax(logits);
                logits[y] -= scale * margin;
                loss -= Math.Log(Softmax(logits)[y]) / queries;
            }
            if (mode == CosineLossMode.Matching) loss -= Math.Log(classProbability[y]) / queries;
            for (int c = 1; c < ep.Ways; c++)
                if (classProbability[c] > classProbability[predicted[q]]) predicted[q] = c;
        }
        return (loss, predicted);
    }

    public static double Loss(double[] e, EpisodeShape ep, CosineLossMode mode, double scale, double margin = 0) =>
        Evaluate(e, ep, mode, scale, margin).Loss;

    /// <summary>The fraction of queries whose predicted class is their own.</summary>
    public static double Accuracy(double[] e, EpisodeShape ep, CosineLossMode mode, double scale, double margin = 0)
    {
        var predicted = Evaluate(e, ep, mode, scale, margin).Predicted;
        return (double)predicted.Where((c, q) => c == q / ep.Queries).Count() / predicted.Length;
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        var w = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = w.Sum();
        return w.Select(v => v / sum).ToArray();
    }
}
