using System.Threading.Channels;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Serve;

/// <summary>
/// The service's support index: an immutable <see cref="SupportIndex"/> snapshot that readers take without locks, and
/// one writer that applies changes. A change is answered only after the whole new index has been written to a
/// temporary file, flushed, renamed over the index file and the folder flushed (<see cref="AtomicFile"/>); only then
/// is the new snapshot swapped in, so a change that was answered survives a kill and is seen by the next classify,
/// and a reader never sees a half-applied change. Changes that arrive while a write is under way are applied together
/// and written once (group commit), so a burst of enrolments costs one write per group, not per request.
///
/// Hashing centre: an index keeps the centre it was made with (the mean of its first enrolment's embeddings), and
/// every later enrolment is hashed with it, so enrolling never changes the codes of classes already enrolled. An
/// index started empty takes its centre from the first enrolment; deleting every class keeps the centre.
/// </summary>
public sealed class IndexStore : IAsyncDisposable
{
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IComputeBackend _backend;
    private readonly object _backendGate;
    private readonly string _path, _modelChecksum;
    private readonly EmbeddingViews? _views;
    private readonly Task _writer;
    private volatile SupportIndex? _current;

    /// <param name="backendGate">Held while hashing: the backend is shared with the classifying thread.</param>
    /// <param name="views">The test-time views enrolments are embedded under, recorded by an index this store creates.</param>
    public IndexStore(string path, SupportIndex? initial, IComputeBackend backend, object backendGate, string modelChecksum,
        EmbeddingViews? views = null)
    {
        (_path, _current, _backend, _backendGate, _modelChecksum, _views) = (path, initial, backend, backendGate, modelChecksum, views);
        _writer = Task.Run(WriteLoop);
    }

    /// <summary>The current snapshot, or null before the first enrolment of an index started empty.</summary>
    public SupportIndex? Current => _current;

    /// <summary>Raised on the writer after each swap, with the new snapshot.</summary>
    public event Action<SupportIndex>? Changed;

    /// <summary>Enrols items (all of one class) and returns how many examples the class then holds.</summary>
    public Task<int> EnrolAsync(SupportItems items)
    {
        var change = new Change(items, null);
        if (!_changes.Writer.TryWrite(change)) throw new ObjectDisposedException(nameof(IndexStore));
        return change.Done.Task;
    }

    /// <summary>Deletes a class and its examples; false when there is no such class.</summary>
    public async Task<bool> DeleteAsync(string className)
    {
        var change = new Change(null, className);
        if (!_changes.Writer.TryWrite(change)) throw new ObjectDisposedException(nameof(IndexStore));
        return await change.Done.Task >= 0;
    }

    /// <summary>Writes an index the same way a change is written (used at start when enrolling <c>--support</c>).</summary>
    public static void Save(string path, SupportIndex index) => AtomicFile.Write(path, s => SupportIndexFile.Write(s, index));

    private async Task WriteLoop()
    {
        var reader = _changes.Reader;
        while (await reader.WaitToReadAsync())
        {
            var group = new List<Change>();
            while (reader.TryRead(out var change)) group.Add(change);
            var index = _current;
            var answers = new int[group.Count];
            try
            {
                for (int i = 0; i < group.Count; i++) (index, answers[i]) = Apply(index, group[i]);
                if (!ReferenceEquals(index, _current))
                {
                    Save(_path, index!);
                    _current = index;
                    Changed?.Invoke(index!);
                }
            }
            catch (Exception e)
            {
                // Nothing of the group was written: every request in it fails, and the snapshot stays as it was.
                foreach (var change in group) change.Done.TrySetException(e);
                continue;
            }
            for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(answers[i]);
        }
    }

    /// <summary>One change → the new index and the answer (an enrolment: the class's example count; a deletion: 0, or -1 when unknown).</summary>
    private (SupportIndex? Index, int Answer) Apply(SupportIndex? index, Change change)
    {
        if (change.Items is { } items)
        {
            lock (_backendGate)
            {
                if (index is null) index = Create(items);
                else if (Fresh(index, items) is { Count: > 0 } fresh) index = index.Add(_backend, fresh);
            }
            return (index, index.CountOf(index.ClassId(items.Classes[0])));
        }
        int id = index?.ClassId(change.Delete!) ?? -1;
        return id < 0 ? (index, -1) : (index!.WithoutClass(id), 0);
    }

    /// <summary>The first enrolment of an index started empty: the default planes, centred on these embeddings.</summary>
    private SupportIndex Create(SupportItems items)
    {
        var choice = HashingChoice.Default;
        return SupportIndex.Create(_backend, _modelChecksum, choice.Draw(items.Dim), choice.Center, items, _views);
    }

    /// <summary>Items not already in their class (same file content), as <c>lshk enroll --add</c> skips them.</summary>
    private static SupportItems Fresh(SupportIndex index, SupportItems items)
    {
        var keep = Enumerable.Range(0, items.Count).Where(i => !index.Contains(items.Classes[i], items.ContentHashes[i])).ToArray();
        if (keep.Length == items.Count) return items;
        var embeddings = keep.SelectMany(i => items.Embeddings.AsSpan(i * items.Dim, items.Dim).ToArray()).ToArray();
        return new SupportItems(keep.Select(i => items.Classes[i]).ToArray(), embeddings, items.Dim, keep.Select(i => items.ContentHashes[i]).ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _changes.Writer.TryComplete();
        await _writer;
    }

    private sealed record Change(SupportItems? Items, string? Delete)
    {
        public TaskCompletionSource<int> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
