using Lshk.Data;
using Lshk.Data.Episodes;

namespace Lshk.Cli.Training;

/// <summary>
/// A fixed set of seeded few-shot episodes per task (N-way K-shot) on a dataset, scored on embeddings of the whole
/// dataset: the same episodes every time, so scores of different models compare.
/// </summary>
public sealed class FewShotTasks
{
    public FewShotTasks(Dataset data, IEnumerable<(int Ways, int Shots)> tasks, int episodes, int queries, ulong seed)
    {
        var list = new List<(string, EpisodeSpec, IReadOnlyList<Episode>)>();
        foreach (var (ways, shots) in tasks)
        {
            if (ways > data.ClassCount) continue; // too few classes for this task
            var spec = new EpisodeSpec(ways, shots, queries);
            list.Add(($"{ways}-way {shots}-shot", spec, new EpisodeSampler(data, spec, seed).SampleMany(episodes)));
        }
        if (list.Count == 0) throw new ArgumentException($"{data.Source}: too few classes ({data.ClassCount}) for any few-shot task");
        Tasks = list;
        Data = data;
    }

    public Dataset Data { get; }
    public IReadOnlyList<(string Name, EpisodeSpec Spec, IReadOnlyList<Episode> Episodes)> Tasks { get; }

    /// <summary>Per task, the mean query accuracy of cosine nearest neighbour (ties to the lower support).</summary>
    public double[] CosineAccuracy(float[] embeddings, int dim)
    {
        var unit = Normalised(embeddings, dim);
        var result = new double[Tasks.Count];
        for (int t = 0; t < Tasks.Count; t++)
        {
            long correct = 0, total = 0;
            foreach (var episode in Tasks[t].Episodes)
                for (int q = 0; q < episode.Query.Length; q++)
                {
                    var query = unit.AsSpan(episode.Query[q] * dim, dim);
                    int best = 0;
                    float bestScore = float.NegativeInfinity;
                    for (int s = 0; s < episode.Support.Length; s++)
                    {
                        float score = System.Numerics.Tensors.TensorPrimitives.Dot(query, unit.AsSpan(episode.Support[s] * dim, dim));
                        if (score > bestScore) (best, bestScore) = (s, score);
                    }
                    if (episode.SupportLabel(best) == episode.QueryLabel(q)) correct++;
                    total++;
                }
            result[t] = (double)correct / total;
        }
        return result;
    }

    /// <summary>Each row scaled to unit length (zero rows stay zero).</summary>
    public static float[] Normalised(float[] x, int dim)
    {
        var unit = new float[x.Length];
        for (int r = 0; r < x.Length / dim; r++)
        {
            var row = x.AsSpan(r * dim, dim);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, unit.AsSpan(r * dim, dim));
        }
        return unit;
    }
}
