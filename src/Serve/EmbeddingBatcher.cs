using System.Threading.Channels;
using Lshk.App.Modeling;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Serve;

/// <summary>What a classify request gets back: its results and the index snapshot they refer to (for class names).</summary>
public sealed record Classified(SupportIndex? Index, ClassScore[][] Results);

/// <summary>
/// The server-side batcher: one background loop owns the network. Requests queue their prepared images on a channel;
/// the loop takes everything queued (up to <see cref="MaxBatchImages"/> images), runs one embedding pass over all of
/// it, and then one index search per match method for the classify requests among it, against the index snapshot
/// current at that moment. Concurrent single-image requests therefore share one forward pass and one Hamming scan.
/// Enrolments send their images through the same loop (embedding only), so the network is never run on two threads.
/// </summary>
public sealed class EmbeddingBatcher : IAsyncDisposable
{
    /// <summary>Most images per pass: past this a batch stops getting cheaper per image, and waiting requests get slower.</summary>
    public const int MaxBatchImages = 256;

    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Embedder _embedder;
    private readonly Lshk.Kernels.IComputeBackend _backend;
    private readonly IndexStore _store;
    private readonly object _backendGate;
    private readonly ServeMetrics _metrics;
    private readonly Task _loop;
    private SupportIndex? _classifiersFor;
    private readonly Dictionary<MatchMethod, IndexClassifier> _classifiers = [];

    public EmbeddingBatcher(Embedder embedder, Lshk.Kernels.IComputeBackend backend, IndexStore store, object backendGate, ServeMetrics metrics)
    {
        (_embedder, _backend, _store, _backendGate, _metrics) = (embedder, backend, store, backendGate, metrics);
        _loop = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Embeds <paramref name="count"/> prepared images → count × D.</summary>
    public async Task<float[]> EmbedAsync(float[] pixels, int count) => (await Submit(new Job(pixels, count, null))).Embeddings;

    /// <summary>Classifies <paramref name="count"/> prepared images against the current index.</summary>
    public async Task<Classified> ClassifyAsync(float[] pixels, int count, int top, MatchMethod method) =>
        (await Submit(new Job(pixels, count, (top, method)))).Classified!;

    private Task<Outcome> Submit(Job job)
    {
        if (!_jobs.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(EmbeddingBatcher));
        return job.Done.Task;
    }

    private async Task Loop()
    {
        var reader = _jobs.Reader;
        while (await reader.WaitToReadAsync())
        {
            var batch = new List<Job>();
            int images = 0;
            while (images < MaxBatchImages && reader.TryRead(out var job))
            {
                batch.Add(job);
                images += job.Count;
            }
            try
            {
                Run(batch, images);
            }
            catch (Exception e)
            {
                foreach (var job in batch) job.Done.TrySetException(e);
            }
        }
        foreach (var c in _classifiers.Values) c.Dispose();
    }

    private void Run(List<Job> batch, int images)
    {
        int length = _embedder.ImageLength, dim = _embedder.Dim;
        var pixels = new float[(long)images * length];
        int at = 0;
        foreach (var job in batch)
        {
            job.Pixels.CopyTo(pixels, (long)at * length);
            at += job.Count;
        }
        var index = _store.Current;
        float[] embeddings;
        var classified = new ClassScore[batch.Count][][];
        lock (_backendGate)
        {
            embeddings = _embedder.Embed(pixels, images);
            // One search per method over the queries of every classify job that asked for it.
            foreach (var group in Enumerable.Range(0, batch.Count).Where(j => batch[j].Classify is not null).GroupBy(j => batch[j].Classify!.Value.Method))
                Search(index, group.Key, group.ToList(), batch, embeddings, classified);
        }
        _metrics.BatchImages.Observe(images);
        at = 0;
        for (int j = 0; j < batch.Count; j++)
        {
            var job = batch[j];
            var own = embeddings.AsSpan(at * dim, job.Count * dim).ToArray();
            at += job.Count;
            if (job.Classify is not null) _metrics.ClassifiedImages.Inc(job.Count);
            job.Done.TrySetResult(new Outcome(own, job.Classify is null ? null : new Classified(index, classified[j])));
        }
    }

    private void Search(SupportIndex? index, MatchMethod method, List<int> jobs, List<Job> batch, float[] embeddings, ClassScore[][][] classified)
    {
        int dim = _embedder.Dim;
        var offsets = new int[batch.Count];
        for (int j = 1; j < batch.Count; j++) offsets[j] = offsets[j - 1] + batch[j - 1].Count;
        int queries = jobs.Sum(j => batch[j].Count);
        var mine = new float[(long)queries * dim];
        int at = 0;
        foreach (int j in jobs)
        {
            embeddings.AsSpan(offsets[j] * dim, batch[j].Count * dim).CopyTo(mine.AsSpan(at * dim));
            at += batch[j].Count;
        }
        int top = jobs.Max(j => batch[j].Classify!.Value.Top);
        var results = index is null ? Enumerable.Repeat(Array.Empty<ClassScore>(), queries).ToArray() : Classifier(index, method).Classify(mine, queries, top);
        at = 0;
        foreach (int j in jobs)
        {
            int own = batch[j].Classify!.Value.Top;
            // Every list is ranked the same way, so a job's top-k is the prefix of the batch's longest list.
            classified[j] = results.AsSpan(at, batch[j].Count).ToArray().Select(r => r.Length > own ? r[..own] : r).ToArray();
            at += batch[j].Count;
        }
    }

    /// <summary>The classifier of a method for this snapshot; a new snapshot replaces them all.</summary>
    private IndexClassifier Classifier(SupportIndex index, MatchMethod method)
    {
        if (!ReferenceEquals(index, _classifiersFor))
        {
            foreach (var c in _classifiers.Values) c.Dispose();
            _classifiers.Clear();
            _classifiersFor = index;
        }
        if (!_classifiers.TryGetValue(method, out var classifier))
            _classifiers[method] = classifier = new IndexClassifier(_backend, index, method);
        return classifier;
    }

    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        await _loop;
    }

    private sealed record Job(float[] Pixels, int Count, (int Top, MatchMethod Method)? Classify)
    {
        public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Outcome(float[] Embeddings, Classified? Classified);
}
