using System.Text.RegularExpressions;
using Lshk.Lsh.Families;

namespace Lshk.Lsh;

/// <summary>
/// The registry of hash families, by name. Adding a family: its own file implementing one of
/// <see cref="IRandomHashFamily"/>, <see cref="IFittedHashFamily"/>, <see cref="IEpisodeHashFamily"/> or
/// <see cref="ICodebookFamily"/> (or a plain
/// <see cref="IHashFamily"/> of kind <see cref="HashFamilyKind.Trained"/>, whose planes only a model file holds), and one line
/// in <see cref="BuiltIn"/>. Code outside the library (tests, the application layer) can add families at run time
/// with <see cref="Register"/>. Every lookup of a family by name (an option value, an index or model file) goes
/// through here, so a name nobody registered is always the same clear error.
/// </summary>
public static partial class HashFamilies
{
    public const int MaxNameLength = 32;

    /// <summary>The families every lshk knows. The order is the order of listings.</summary>
    private static readonly IHashFamily[] BuiltIn =
    [
        GaussianPlanes.Instance,
        UniformPlanes.Instance,
        IntegerPlanes.Instance,
        PcaPlanes.Instance,
        ItqPlanes.Instance,
        OneVsRestFamily.Instance,
        LearnedPlanes.Instance,
        ProductQuantizerFamily.Instance,
        OptimizedProductQuantizerFamily.Instance,
    ];

    private static readonly Lock Gate = new();
    private static readonly List<IHashFamily> Registered = [];
    private static readonly Dictionary<string, IHashFamily> ByName = new(StringComparer.Ordinal);

    static HashFamilies()
    {
        foreach (var family in BuiltIn) Register(family);
    }

    /// <summary>Every registered family, built-in ones first.</summary>
    public static IReadOnlyList<IHashFamily> All
    {
        get { lock (Gate) return Registered.ToArray(); }
    }

    /// <summary>The registered families' names, for messages and help texts.</summary>
    public static IReadOnlyList<string> Names => All.Select(f => f.Name).ToArray();

    /// <summary>
    /// Adds a family. Registering the same instance again does nothing; another family under a name or alias already
    /// taken is an <see cref="ArgumentException"/>.
    /// </summary>
    public static void Register(IHashFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        string[] names = [family.Name, .. family.Aliases];
        foreach (string name in names)
            if (!ValidName().IsMatch(name) || name.Length > MaxNameLength)
                throw new ArgumentException($"hash family name '{name}' must be 1 to {MaxNameLength} lowercase letters, digits or '-', starting with a letter");
        lock (Gate)
        {
            if (ByName.TryGetValue(family.Name, out var existing) && ReferenceEquals(existing, family)) return;
            foreach (string name in names)
                if (ByName.TryGetValue(name, out var taken))
                    throw new ArgumentException($"hash family name '{name}' is already taken by '{taken.Name}'");
            foreach (string name in names) ByName[name] = family;
            Registered.Add(family);
        }
    }

    /// <summary>The family of a name or alias (case and surrounding spaces ignored), or null.</summary>
    public static IHashFamily? Find(string name)
    {
        lock (Gate) return ByName.GetValueOrDefault(name.Trim().ToLowerInvariant());
    }

    /// <summary>
    /// The family of a name or alias; <see cref="UnknownHashFamilyException"/> if none, naming <paramref name="file"/>
    /// when the name was read from one.
    /// </summary>
    public static IHashFamily Get(string name, string? file = null) =>
        Find(name) ?? throw new UnknownHashFamilyException(file, name.Trim(), Names);

    /// <summary>Resolves a comma-separated list of names, in order, without repeats.</summary>
    public static IHashFamily[] ParseList(string names) =>
        names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => Get(n)).Distinct().ToArray();

    /// <summary>A family that draws its planes from a seed, or an <see cref="ArgumentException"/> saying what it is instead.</summary>
    public static IRandomHashFamily RequireRandom(IHashFamily family) => family as IRandomHashFamily
        ?? throw new Lshk.Core.InputException($"hash family '{family.Name}' is {Describe(family.Kind)}, not drawn from a seed");

    /// <summary>How a kind's planes are made, for messages.</summary>
    public static string Describe(HashFamilyKind kind) => kind switch
    {
        HashFamilyKind.Random => "drawn from a seed",
        HashFamilyKind.Fitted => "fitted to training embeddings",
        HashFamilyKind.PerEpisode => "fitted to each episode's support set",
        HashFamilyKind.Trained => "trained with the network and stored in the model",
        HashFamilyKind.Codebook => "product-quantiser codebooks fitted to training embeddings",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex ValidName();
}
