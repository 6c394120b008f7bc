namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The prototypical-network loss on the CPU, in double precision (it is small: queries × ways × dim):
/// prototypes p_c = mean of class c's supports; logits z_qc = −‖e_q − p_c‖²; L = mean_q −log softmax(z_q)[y_q].
/// dL/dz_qc = (softmax_qc − [c = y_q])/Q; dL/de_q = Σ_c dz_qc·(−2)(e_q − p_c); dL/dp_c = Σ_q dz_qc·2(e_q − p_c),
/// shared equally by the class's supports.
/// </summary>
internal sealed unsafe class CpuPrototypicalLoss
{
    private readonly PinnedScratch<double> _prototypes = new(), _dPrototypes = new(), _logits = new(), _dQuery = new();

    public (float Loss, float Accuracy) Compute(float* e, in EpisodeShape ep, float* de)
    {
        int d = ep.Dim, ways = ep.Ways;
        double* proto = _prototypes.EnsureZeroed(ways * d);
        double* dProto = _dPrototypes.EnsureZeroed(ways * d);
        double* logits = _logits.Ensure(ways);
        double* dQuery = _dQuery.Ensure(d);
        for (int c = 0; c < ways; c++)
            for (int s = 0; s < ep.Shots; s++)
            {
                float* row = e + (long)(c * ep.PerClass + s) * d;
                for (int j = 0; j < d; j++) proto[c * d + j] += row[j];
            }
        for (int i = 0; i < ways * d; i++) proto[i] /= ep.Shots;

        int queries = ways * ep.Queries;
        double loss = 0;
        int correct = 0;
        for (int y = 0; y < ways; y++)
            for (int q = 0; q < ep.Queries; q++)
            {
                int item = y * ep.PerClass + ep.Shots + q;
                float* row = e + (long)item * d;
                double max = double.NegativeInfinity;
                int best = 0;
                for (int c = 0; c < ways; c++)
                {
                    double dist = 0;
                    for (int j = 0; j < d; j++)
                    {
                        double diff = row[j] - proto[c * d + j];
                        dist += diff * diff;
                    }
                    logits[c] = -dist;
                    if (-dist > max) { max = -dist; best = c; }
                }
                if (best == y) correct++;
                double sum = 0;
                for (int c = 0; c < ways; c++) sum += Math.Exp(logits[c] - max);
                double logSum = max + Math.Log(sum);
                loss += logSum - logits[y];

                for (int j = 0; j < d; j++) dQuery[j] = 0;
                for (int c = 0; c < ways; c++)
                {
                    double g = (Math.Exp(logits[c] - logSum) - (c == y ? 1.0 : 0.0)) / queries;
                    for (int j = 0; j < d; j++)
                    {
                        double diff = row[j] - proto[c * d + j];
                        dQuery[j] -= 2.0 * g * diff;
                        dProto[c * d + j] += 2.0 * g * diff;
                    }
                }
                float* dRow = de + (long)item * d;
                for (int j = 0; j < d; j++) dRow[j] = (float)dQuery[j];
            }
        for (int c = 0; c < ways; c++)
            for (int s = 0; s < ep.Shots; s++)
            {
                float* dRow = de + (long)(c * ep.PerClass + s) * d;
                for (int j = 0; j < d; j++) dRow[j] = (float)(dProto[c * d + j] / ep.Shots);
            }
        return ((float)(loss / queries), (float)correct / queries);
    }
}
