namespace Lshk.Data.Episodes;

/// <summary>
/// Draws N-way K-shot episodes with Q queries per class from a dataset. Episode i is a pure function of
/// (seed, i) through counter-based random streams: the same seed gives the same episodes on any machine, in any
/// order, from any number of threads. Within an episode the classes are distinct and, per class, K + Q distinct
/// images are drawn, the first K as support and the rest as queries, so supports and queries never overlap.
/// Unstructured episodes draw N classes from all classes; within-group episodes first draw a group uniformly
/// among the groups with at least N classes, then N of its classes. Trial episodes (<see cref="EpisodeSpec.QueriesPerEpisode"/>)
/// first draw the class of each of their Q queries uniformly among the N, then per class K supports and that class's
/// queries as above; queries are listed class by class.
/// </summary>
public sealed class EpisodeSampler
{
    private const ulong EpisodeStream = 0x45504953u; // "EPIS"
    private readonly Dataset _data;
    private readonly IReadOnlyList<int[]> _byClass;
    private readonly int[][] _groupClasses; // eligible groups → their classes
    private readonly CounterRandom _random;

    public EpisodeSampler(Dataset data, EpisodeSpec spec, ulong seed)
    {
        _data = data;
        Spec = spec;
        Seed = seed;
        if (spec.Ways < 1 || spec.Shots < 1 || spec.Queries < 0)
            throw new Lshk.Core.InputException($"invalid episode shape: {spec.Ways}-way {spec.Shots}-shot {spec.Queries}-query (ways and shots ≥ 1, queries ≥ 0)");
        if (spec.Ways > data.ClassCount)
            throw new Lshk.Core.InputException($"cannot draw {spec.Ways}-way episodes from {data.Source}: it has only {data.ClassCount} classes");
        _byClass = data.IndicesByClass();
        // A trial's queries may all fall on one class, so every class must hold K + Q images.
        int need = spec.Shots + spec.Queries;
        for (int c = 0; c < data.ClassCount; c++)
            if (_byClass[c].Length < need)
                throw new Lshk.Core.InputException($"cannot draw {spec.Shots} shots + {spec.Queries} queries from class '{data.ClassNames[c]}' of {data.Source}: it has only {_byClass[c].Length} images");
        _groupClasses = [];
        if (spec.Mode == EpisodeMode.WithinGroup)
        {
            if (data.ClassGroups is null)
                throw new Lshk.Core.InputException($"within-group episodes need class groups (such as Omniglot's alphabets); {data.Source} has none");
            var groups = Enumerable.Range(0, data.ClassCount).GroupBy(c => data.ClassGroups[c], StringComparer.Ordinal)
                .Select(g => g.ToArray()).ToArray();
            _groupClasses = groups.Where(g => g.Length >= spec.Ways).ToArray();
            if (_groupClasses.Length == 0)
                throw new Lshk.Core.InputException($"cannot draw {spec.Ways}-way within-group episodes from {data.Source}: its largest group has {groups.Max(g => g.Length)} classes");
        }
        _random = new CounterRandom(seed, EpisodeStream);
    }

    public EpisodeSpec Spec { get; }
    public ulong Seed { get; }

    /// <summary>Episode number <paramref name="index"/> of this seed.</summary>
    public Episode Sample(long index)
    {
        var rng = _random.Substream((ulong)index);
        ulong counter = 0;
        int ways = Spec.Ways, shots = Spec.Shots, queries = Spec.Queries;
        int[] pool;
        if (Spec.Mode == EpisodeMode.WithinGroup)
            pool = (int[])_groupClasses[rng.Below(counter++, _groupClasses.Length)].Clone();
        else
            pool = Enumerable.Range(0, _data.ClassCount).ToArray();
        rng.PartialShuffle(pool, ways, ref counter);
        var classes = pool[..ways];
        if (Spec.QueriesPerEpisode) return SampleTrial(rng, counter, classes);
        var support = new int[ways * shots];
        var query = new int[ways * queries];
        for (int j = 0; j < ways; j++)
        {
            var images = (int[])_byClass[classes[j]].Clone();
            rng.PartialShuffle(images, shots + queries, ref counter);
            Array.Copy(images, 0, support, j * shots, shots);
            Array.Copy(images, shots, query, j * queries, queries);
        }
        return new Episode(classes, support, query);
    }

    /// <summary>The rest of a trial episode once its classes are drawn: each query's class, then the images.</summary>
    private Episode SampleTrial(CounterRandom rng, ulong counter, int[] classes)
    {
        int ways = Spec.Ways, shots = Spec.Shots, queries = Spec.Queries;
        var perClass = new int[ways];
        for (int q = 0; q < queries; q++) perClass[rng.Below(counter++, ways)]++;
        var support = new int[ways * shots];
        var query = new List<int>(queries);
        var labels = new List<int>(queries);
        for (int j = 0; j < ways; j++)
        {
            var images = (int[])_byClass[classes[j]].Clone();
            rng.PartialShuffle(images, shots + perClass[j], ref counter);
            Array.Copy(images, 0, support, j * shots, shots);
            query.AddRange(images.AsSpan(shots, perClass[j]));
            for (int q = 0; q < perClass[j]; q++) labels.Add(j);
        }
        return new Episode(classes, support, query.ToArray(), labels.ToArray());
    }

    /// <summary>Episodes <paramref name="first"/> … first + count − 1.</summary>
    public IReadOnlyList<Episode> SampleMany(int count, long first = 0)
    {
        if (count < 0) throw new ArgumentException($"episode count {count} is negative");
        var episodes = new Episode[count];
        for (int i = 0; i < count; i++) episodes[i] = Sample(first + i);
        return episodes;
    }
}
