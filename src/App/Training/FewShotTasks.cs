using Lshk.App.Evaluation;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels;

namespace Lshk.App.Training;

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
        if (list.Count == 0) throw new Lshk.Core.InputException($"{data.Source}: too few classes ({data.ClassCount}) for any few-shot task");
        Tasks = list;
        Data = data;
    }

    public Dataset Data { get; }
    public IReadOnlyList<(string Name, EpisodeSpec Spec, IReadOnlyList<Episode> Episodes)> Tasks { get; }

    /// <summary>
    /// Per task, the mean query accuracy of cosine nearest neighbour (ties to the lower support): the matcher
    /// <c>lshk eval</c> scores its cosine baseline with.
    /// </summary>
    public double[] CosineAccuracy(IComputeBackend backend, float[] embeddings, int dim)
    {
        var result = new double[Tasks.Count];
        for (int t = 0; t < Tasks.Count; t++)
        {
            long correct = 0, total = 0;
            foreach (var episode in Tasks[t].Episodes)
            {
                var rows = EpisodeEmbeddings.Of(episode, embeddings, dim);
                int[] predicted = Matching.CosineNearest(backend, rows.SupportRows, rows.Supports, dim, rows.SupportLabels, rows.QueryRows, rows.Queries);
                for (int q = 0; q < rows.Queries; q++)
                    if (predicted[q] == rows.QueryLabels[q]) correct++;
                total += rows.Queries;
            }
            result[t] = (double)correct / total;
        }
        return result;
    }
}
