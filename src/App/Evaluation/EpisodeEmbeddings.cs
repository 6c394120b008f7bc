using Lshk.Data.Episodes;

namespace Lshk.App.Evaluation;

/// <summary>
/// One episode's embeddings in the layout the matchers take: supports first, then queries, in one array (so both can
/// be hashed in one call), with the episode label (0…N−1) of every support and query.
/// </summary>
public sealed record EpisodeEmbeddings(float[] All, int Supports, int Dim, int[] SupportLabels, int[] QueryLabels)
{
    public ReadOnlySpan<float> SupportRows => All.AsSpan(0, Supports * Dim);
    public ReadOnlySpan<float> QueryRows => All.AsSpan(Supports * Dim);
    public int Queries => QueryLabels.Length;

    /// <summary>Copies the episode's rows out of the embeddings of the whole dataset (row i = image i).</summary>
    public static EpisodeEmbeddings Of(Episode episode, float[] embeddings, int dim)
    {
        int n = episode.Support.Length, q = episode.Query.Length;
        var all = new float[(long)(n + q) * dim];
        for (int j = 0; j < n; j++) embeddings.AsSpan(episode.Support[j] * dim, dim).CopyTo(all.AsSpan(j * dim, dim));
        for (int j = 0; j < q; j++) embeddings.AsSpan(episode.Query[j] * dim, dim).CopyTo(all.AsSpan((n + j) * dim, dim));
        var supportLabels = new int[n];
        for (int j = 0; j < n; j++) supportLabels[j] = episode.SupportLabel(j);
        var queryLabels = new int[q];
        for (int j = 0; j < q; j++) queryLabels[j] = episode.QueryLabel(j);
        return new EpisodeEmbeddings(all, n, dim, supportLabels, queryLabels);
    }

}
