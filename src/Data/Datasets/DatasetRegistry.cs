namespace Lshk.Data.Datasets;

/// <summary>
/// Every dataset kind lshk knows, by name. The built-in ones are listed here; a new reader adds one line to
/// <see cref="BuiltIn"/> (or registers itself at run time, as the tests' toy dataset does).
/// </summary>
public static class DatasetRegistry
{
    private static readonly List<DatasetKind> Kinds =
    [
        new OmniglotDataset(),
        new MnistDataset(),
        new FashionMnistDataset(),
        CifarDataset.Cifar10,
        CifarDataset.Cifar100,
        new ImageFolderDataset(),
    ];

    private static readonly Lock Guard = new();

    /// <summary>The built-in kinds, in the order they are listed to users.</summary>
    public static IReadOnlyList<DatasetKind> BuiltIn { get; } = Kinds.ToArray();

    /// <summary>Every registered kind (built-in first).</summary>
    public static IReadOnlyList<DatasetKind> All
    {
        get
        {
            lock (Guard) return Kinds.ToArray();
        }
    }

    /// <summary>Adds a kind; registering the same instance again does nothing, another kind with a taken name is an error.</summary>
    public static void Register(DatasetKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        lock (Guard)
        {
            if (Kinds.Contains(kind)) return;
            if (Kinds.Any(k => k.Id == kind.Id)) throw new ArgumentException($"a dataset named '{kind.Id}' is already registered");
            Kinds.Add(kind);
        }
    }

    /// <summary>
    /// The kind named <paramref name="name"/> (case and dashes ignored: "CIFAR-10" is cifar10, "fashionmnist" is
    /// fashion-mnist), or null.
    /// </summary>
    public static DatasetKind? Find(string name)
    {
        string key = Key(name);
        lock (Guard) return Kinds.FirstOrDefault(k => Key(k.Id) == key);
    }

    private static string Key(string name) => name.Trim().ToLowerInvariant().Replace("-", "");

    /// <summary>The kind of the name, or an error listing the known names.</summary>
    public static DatasetKind Get(string name) =>
        Find(name) ?? throw new Lshk.Core.InputException($"unknown dataset '{name.Trim().ToLowerInvariant()}' ({Names()})");

    /// <summary>"omniglot, mnist, cifar10, cifar100, or folder:PATH": the names as a user types them.</summary>
    public static string Names()
    {
        var names = All.Select(k => k.NeedsPath ? $"{k.Id}:PATH" : k.Id).ToArray();
        return string.Join(", ", names[..^1]) + ", or " + names[^1];
    }

    /// <summary>
    /// A training default as help text: the one value when every dataset shares it, else each dataset's
    /// ("omniglot 64, mnist 0, …"). Numbers are written as the command line takes them (0.15, whatever the culture).
    /// </summary>
    public static string DescribeDefault<T>(Func<TrainingDefaults, T> value)
    {
        var kinds = All;
        var values = kinds.Select(k => FormattableString.Invariant($"{value(k.Defaults)}")).ToArray();
        return values.Distinct().Count() == 1 ? values[0] : string.Join(", ", kinds.Select((k, i) => $"{k.Id} {values[i]}"));
    }
}
