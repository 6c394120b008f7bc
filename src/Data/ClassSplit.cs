namespace Lshk.Data;

/// <summary>
/// Which classes train, which validate, which test: disjoint sets of class indices, each in ascending order.
/// Text forms (<see cref="Parse"/>):
/// <list type="bullet">
/// <item><c>all</c>: every class tests (a model trained elsewhere).</item>
/// <item><c>A-B/C-D</c> (e.g. MNIST's <c>0-4/5-9</c>): class ranges for training and testing, inclusive.</item>
/// <item><c>T/V/E</c> (e.g. CIFAR-100's <c>64/16/20</c>): a seeded random split with those class counts;
/// the seed gives a uniformly random permutation of the classes (counter-based, machine independent) whose
/// first T are the training classes, the next V validation and the next E test.</item>
/// </list>
/// Omniglot's official split (background / evaluation sets) is not a class split of one set; see <see cref="Sources.DatasetLoader"/>.
/// </summary>
public sealed record ClassSplit(int[] Train, int[] Validation, int[] Test)
{
    private const ulong SplitStream = 0x53504C54u; // "SPLT"
    private const ulong HoldOutStream = 0x484F4C44u; // "HOLD"

    public static ClassSplit All(int classCount) => new([], [], Enumerable.Range(0, classCount).ToArray());

    public static ClassSplit Ranges(int classCount, (int First, int Last) train, (int First, int Last) test)
    {
        int[] Range((int First, int Last) r, string what)
        {
            if (r.First < 0 || r.Last >= classCount || r.First > r.Last)
                throw new Lshk.Core.InputException($"{what} classes {r.First}-{r.Last} are not within 0-{classCount - 1}");
            return Enumerable.Range(r.First, r.Last - r.First + 1).ToArray();
        }
        var split = new ClassSplit(Range(train, "training"), [], Range(test, "test"));
        if (split.Train.Intersect(split.Test).Any())
            throw new Lshk.Core.InputException($"training classes {train.First}-{train.Last} and test classes {test.First}-{test.Last} overlap");
        return split;
    }

    public static ClassSplit Seeded(int classCount, int train, int validation, int test, ulong seed)
    {
        if (train < 0 || validation < 0 || test < 0 || (long)train + validation + test > classCount)
            throw new Lshk.Core.InputException($"cannot split {classCount} classes into {train}/{validation}/{test}");
        var order = Enumerable.Range(0, classCount).ToArray();
        ulong counter = 0;
        new CounterRandom(seed, SplitStream).PartialShuffle(order, train + validation + test, ref counter);
        return new ClassSplit(Sorted(order[..train]), Sorted(order[train..(train + validation)]),
            Sorted(order[(train + validation)..(train + validation + test)]));
    }

    /// <summary>Moves <paramref name="count"/> seeded-random training classes to validation.</summary>
    public ClassSplit HoldOut(int count, ulong seed)
    {
        if (count == 0) return this;
        if (count < 0 || count >= Train.Length)
            throw new Lshk.Core.InputException($"cannot hold out {count} validation classes from {Train.Length} training classes");
        var order = (int[])Train.Clone();
        ulong counter = 0;
        new CounterRandom(seed, HoldOutStream).PartialShuffle(order, count, ref counter);
        return new ClassSplit(Sorted(order[count..]), Sorted([.. Validation, .. order[..count]]), Test);
    }

    /// <summary>Reads a split's text form for a dataset of <paramref name="classCount"/> classes.</summary>
    public static ClassSplit Parse(string text, int classCount, ulong seed)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "all") return All(classCount);
        var parts = t.Split('/');
        if (parts.Length == 2 && parts.All(p => p.Contains('-')))
            return Ranges(classCount, ParseRange(parts[0], text), ParseRange(parts[1], text));
        if (parts.Length == 3 && parts.All(p => int.TryParse(p, out _)))
            return Seeded(classCount, int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]), seed);
        throw new Lshk.Core.InputException($"unknown class split '{text}' (all, A-B/C-D class ranges, or T/V/E class counts)");
    }

    private static (int, int) ParseRange(string part, string text)
    {
        var ends = part.Split('-');
        if (ends.Length != 2 || !int.TryParse(ends[0], out int a) || !int.TryParse(ends[1], out int b))
            throw new Lshk.Core.InputException($"bad class range '{part}' in split '{text}'");
        return (a, b);
    }

    private static int[] Sorted(int[] classes) { Array.Sort(classes); return classes; }
}
