using System.Numerics;
using Lshk.Kernels;
using Lshk.Lsh;

namespace Lshk.Cli.Training;

/// <summary>
/// The short evaluation printed at the end of training: on the test classes, cosine nearest neighbour against
/// Hamming nearest neighbour on LSH codes (Gaussian planes, embeddings centred on each episode's support mean) at
/// several plane counts, on the same seeded episodes. The full grid is <c>lshk eval</c>'s job.
/// </summary>
public static class LshSummary
{
    public sealed record Row(string Task, double Cosine, IReadOnlyList<(int Planes, double Accuracy)> Lsh);

    public static IReadOnlyList<Row> Evaluate(IComputeBackend backend, FewShotTasks tasks, float[] embeddings, int dim,
        IReadOnlyList<int> planeCounts, ulong seed)
    {
        double[] cosine = tasks.CosineAccuracy(embeddings, dim);
        var planes = planeCounts.Select(p => Hyperplanes.Generate(PlaneFamily.Gaussian, p, dim, seed)).ToArray();
        var rows = new List<Row>();
        for (int t = 0; t < tasks.Tasks.Count; t++)
        {
            var lsh = new List<(int, double)>();
            foreach (var plane in planes)
            {
                long correct = 0, total = 0;
                foreach (var episode in tasks.Tasks[t].Episodes)
                {
                    float[] support = Rows(embeddings, episode.Support, dim), query = Rows(embeddings, episode.Query, dim);
                    var hasher = LshHasher.CenteredOn(plane, support, episode.Support.Length);
                    uint[] s = hasher.Hash(backend, support, episode.Support.Length), q = hasher.Hash(backend, query, episode.Query.Length);
                    int words = hasher.Words;
                    for (int i = 0; i < episode.Query.Length; i++)
                    {
                        int best = 0, bestDistance = int.MaxValue;
                        for (int j = 0; j < episode.Support.Length; j++)
                        {
                            int distance = 0;
                            for (int w = 0; w < words; w++) distance += BitOperations.PopCount(q[i * words + w] ^ s[j * words + w]);
                            if (distance < bestDistance) (best, bestDistance) = (j, distance);
                        }
                        if (episode.SupportLabel(best) == episode.QueryLabel(i)) correct++;
                        total++;
                    }
                }
                lsh.Add((plane.Count, (double)correct / total));
            }
            rows.Add(new Row(tasks.Tasks[t].Name, cosine[t], lsh));
        }
        return rows;
    }

    private static float[] Rows(float[] x, int[] indices, int dim)
    {
        var result = new float[indices.Length * dim];
        for (int i = 0; i < indices.Length; i++) x.AsSpan(indices[i] * dim, dim).CopyTo(result.AsSpan(i * dim, dim));
        return result;
    }
}
