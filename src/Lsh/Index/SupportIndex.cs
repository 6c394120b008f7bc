using System.Text;
using Lshk.Kernels;
using Lshk.Lsh.Quantization;

namespace Lshk.Lsh.Index;

/// <summary>
/// The enrolled support set of a classifier: for every item its class, the SHA-256 of its source file, its code
/// and its float embedding, together with what made the codes and the checksum of the model that made the embeddings.
/// Stored as a file by <see cref="SupportIndexFile"/>. The codes are LSH bits of planes and a centre
/// (<see cref="Hasher"/>), or the bytes of a product-quantiser codebook and its shift (<see cref="Codebook"/>, the pq
/// and opq families: scored by the asymmetric method or compared by cosine, never by Hamming distance).
///
/// Items keep their order: the first enrolment's, then each addition's appended. Classes are numbered in order
/// of first appearance. Keeping the embeddings lets cosine matching and re-centring work without the images,
/// and lets additions never re-embed what is there.
///
/// Centring: the centre (mean of the first enrolment's embeddings, when centring is on) is frozen by
/// <see cref="Add"/>: new items are hashed with the same planes and centre, so every stored code and every
/// query code stays what it was, and adding items can change a query's result only where an added item beats
/// the earlier ones. <see cref="Recentered"/> instead takes the mean of all stored embeddings and rehashes every
/// item from its stored embedding (no images needed), at the price that earlier results may move.
/// </summary>
public sealed class SupportIndex
{
    public const int MaxClassNameBytes = 1024;

    private readonly string[] _classNames;
    private readonly int[] _labels;
    private readonly byte[] _contentHashes;
    private readonly uint[] _codes;
    private readonly float[] _embeddings;
    private readonly HashSet<(int Class, string Hash)> _known = [];
    private readonly LshHasher? _hasher;

    internal SupportIndex(string modelChecksum, LshHasher hasher, string[] classNames, int[] labels, byte[] contentHashes,
        uint[] codes, float[] embeddings, EmbeddingViews? views = null)
        : this(modelChecksum, hasher, null, classNames, labels, contentHashes, codes, embeddings, views)
    {
    }

    internal SupportIndex(string modelChecksum, IndexCodebook codebook, string[] classNames, int[] labels, byte[] contentHashes,
        uint[] codes, float[] embeddings, EmbeddingViews? views = null)
        : this(modelChecksum, null, codebook, classNames, labels, contentHashes, codes, embeddings, views)
    {
    }

    private SupportIndex(string modelChecksum, LshHasher? hasher, IndexCodebook? codebook, string[] classNames, int[] labels,
        byte[] contentHashes, uint[] codes, float[] embeddings, EmbeddingViews? views)
    {
        ModelChecksum = modelChecksum;
        Views = views;
        _hasher = hasher;
        Codebook = codebook;
        _classNames = classNames;
        _labels = labels;
        _contentHashes = contentHashes;
        _codes = codes;
        _embeddings = embeddings;
        for (int i = 0; i < labels.Length; i++)
            _known.Add((labels[i], Convert.ToHexString(contentHashes, i * SupportItems.HashBytes, SupportItems.HashBytes)));
    }

    /// <summary>SHA-256 (64 lowercase hex digits) of the model file whose embeddings these are.</summary>
    public string ModelChecksum { get; }

    /// <summary>
    /// The test-time views every stored embedding is the mean over (null: the image alone). Fixed at the first
    /// enrolment, like the centre: additions and queries are embedded the same way.
    /// </summary>
    public EmbeddingViews? Views { get; }

    /// <summary>The planes and the (frozen) centre that hash supports and queries; an index of codebook codes has none.</summary>
    public LshHasher Hasher => _hasher ?? throw new InvalidOperationException("an index of product-quantiser codes has no planes");

    /// <summary>The codebook and (frozen) shift that code supports, for the pq and opq families; null for LSH codes.</summary>
    public IndexCodebook? Codebook { get; }

    /// <summary>The family that made the codes: the planes' or the codebook's.</summary>
    public IHashFamily Family => _hasher?.Planes.Family ?? Codebook!.Codebook.Family;

    /// <summary>The seed the planes were drawn from, or the codebook fitted with.</summary>
    public ulong Seed => _hasher?.Planes.Seed ?? Codebook!.Codebook.Seed;

    /// <summary>Whether the codes are centred on the first enrolment's mean (LSH: a centre; codebook: a shift).</summary>
    public bool Centred => _hasher is not null ? _hasher.Center is not null : Codebook!.Shift is not null;

    public Hyperplanes Planes => Hasher.Planes;
    public float[]? Center => _hasher?.Center;
    public int Dim => _hasher?.Planes.Dim ?? Codebook!.Codebook.Dim;

    /// <summary>Bits per stored code: the plane count, or 8 per codebook subspace.</summary>
    public int Bits => _hasher?.Planes.Count ?? Codebook!.Codebook.Bits;
    public int Words => _hasher?.Planes.Words ?? Codebook!.Codebook.Words;
    public int Count => _labels.Length;
    public int ClassCount => _classNames.Length;
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Class id (index into <see cref="ClassNames"/>) of each item.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>N × 32 bytes: the SHA-256 of each item's source file.</summary>
    public ReadOnlySpan<byte> ContentHashes => _contentHashes;

    /// <summary>N × W packed codes.</summary>
    public ReadOnlySpan<uint> Codes => _codes;

    /// <summary>N × D float embeddings.</summary>
    public ReadOnlySpan<float> Embeddings => _embeddings;

    /// <summary>Whether a file with this content is already enrolled in the named class.</summary>
    public bool Contains(string className, ReadOnlySpan<byte> contentHash)
    {
        int c = Array.IndexOf(_classNames, className);
        return c >= 0 && _known.Contains((c, Convert.ToHexString(contentHash)));
    }

    /// <summary>
    /// Enrols items: hashes them with <paramref name="planes"/>, centred on their mean when <paramref name="center"/>
    /// is set. Classes are numbered in order of first appearance. Planes of a per-episode family are refused
    /// (<see cref="HashFamilyKinds.StorableInIndex"/>). <paramref name="views"/>: the views the items were embedded under.
    /// </summary>
    public static SupportIndex Create(IComputeBackend backend, string modelChecksum, Hyperplanes planes, bool center, SupportItems items,
        EmbeddingViews? views = null)
    {
        CheckChecksum(modelChecksum);
        HashFamilyKinds.RequireStorableInIndex(planes.Family);
        CheckDim(planes, items);
        if (items.Count == 0) throw new Lshk.Core.InputException("nothing to enrol: no support images");
        var hasher = center ? LshHasher.CenteredOn(planes, items.Embeddings, items.Count) : new LshHasher(planes);
        var empty = new SupportIndex(modelChecksum, hasher, [], [], [], [], [], views);
        return empty.Append(backend, items);
    }

    /// <summary>
    /// Enrols items as product-quantiser codes of <paramref name="codebook"/> (a pq or opq codebook the model stores),
    /// shifted to their mean when <paramref name="center"/> is set (frozen for later additions, like an LSH centre).
    /// </summary>
    public static SupportIndex Create(IComputeBackend backend, string modelChecksum, ProductCodebook codebook, bool center,
        SupportItems items, EmbeddingViews? views = null)
    {
        CheckChecksum(modelChecksum);
        CheckDim(codebook.Dim, items);
        if (items.Count == 0) throw new Lshk.Core.InputException("nothing to enrol: no support images");
        var coder = IndexCodebook.For(backend, codebook, center, items.Embeddings, items.Count);
        return new SupportIndex(modelChecksum, coder, [], [], [], [], [], views).Append(backend, items);
    }

    /// <summary>
    /// An index with no items yet, hashing with <paramref name="hasher"/> (its centre, if any, is frozen as given):
    /// what a server starts from without an index, and what deleting the last class leaves.
    /// </summary>
    public static SupportIndex Empty(string modelChecksum, LshHasher hasher, EmbeddingViews? views = null)
    {
        CheckChecksum(modelChecksum);
        HashFamilyKinds.RequireStorableInIndex(hasher.Planes.Family);
        return new SupportIndex(modelChecksum, hasher, [], [], [], [], [], views);
    }

    /// <summary>This index's coding (planes and centre, or codebook and shift) and views, without its items.</summary>
    public SupportIndex Emptied() => new(ModelChecksum, _hasher, Codebook, [], [], [], [], [], Views);

    /// <summary>
    /// Which match methods can score this index: all of them for LSH codes; the asymmetric score (cosine to the
    /// reconstruction) and cosine on the stored embeddings for codebook codes, whose bytes are no Hamming code.
    /// </summary>
    public bool Supports(MatchMethod method) =>
        Codebook is null || method is MatchMethod.Asymmetric or MatchMethod.CosineNearest;

    /// <summary>The method a classifier uses when none is asked for: Hamming for LSH codes, asymmetric for codebook codes.</summary>
    public MatchMethod DefaultMethod => Codebook is null ? MatchMethod.HammingNearest : MatchMethod.Asymmetric;

    /// <summary>The id of the named class, or -1 when no class has that name.</summary>
    public int ClassId(string className) => Array.IndexOf(_classNames, className);

    /// <summary>How many items the class holds.</summary>
    public int CountOf(int classId) => _labels.Count(l => l == classId);

    /// <summary>
    /// A new index without the class and its items. The other items keep their order and codes (the planes and the
    /// centre stay as they are); classes after it move down one id. Removing the last class leaves an empty index.
    /// </summary>
    public SupportIndex WithoutClass(int classId)
    {
        if ((uint)classId >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(classId));
        var keep = Enumerable.Range(0, Count).Where(i => _labels[i] != classId).ToArray();
        var labels = keep.Select(i => _labels[i] > classId ? _labels[i] - 1 : _labels[i]).ToArray();
        var hashes = new byte[(long)keep.Length * SupportItems.HashBytes];
        var codes = new uint[(long)keep.Length * Words];
        var embeddings = new float[(long)keep.Length * Dim];
        for (int j = 0; j < keep.Length; j++)
        {
            int i = keep[j];
            _contentHashes.AsSpan(i * SupportItems.HashBytes, SupportItems.HashBytes).CopyTo(hashes.AsSpan(j * SupportItems.HashBytes));
            _codes.AsSpan(i * Words, Words).CopyTo(codes.AsSpan(j * Words));
            _embeddings.AsSpan(i * Dim, Dim).CopyTo(embeddings.AsSpan(j * Dim));
        }
        string[] names = [.. _classNames.Take(classId), .. _classNames.Skip(classId + 1)];
        return new SupportIndex(ModelChecksum, _hasher, Codebook, names, labels, hashes, codes, embeddings, Views);
    }

    /// <summary>
    /// A new index with <paramref name="items"/> appended (new classes after the existing ones), hashed with this
    /// index's planes and frozen centre. Existing items, codes and class ids are unchanged.
    /// </summary>
    public SupportIndex Add(IComputeBackend backend, SupportItems items)
    {
        CheckDim(Dim, items);
        return Append(backend, items);
    }

    /// <summary>
    /// The same items with the centre moved to the mean of all stored embeddings and every code recomputed from
    /// its stored embedding (or, with <paramref name="center"/> false, uncentred).
    /// </summary>
    public SupportIndex Recentered(IComputeBackend backend, bool center = true)
    {
        if (Codebook is { } codebook)
        {
            var coder = IndexCodebook.For(backend, codebook.Codebook, center, _embeddings, Count);
            return new SupportIndex(ModelChecksum, coder, _classNames, _labels, _contentHashes, coder.Encode(backend, _embeddings, Count), _embeddings, Views);
        }
        var hasher = center ? LshHasher.CenteredOn(Planes, _embeddings, Count) : new LshHasher(Planes);
        return new SupportIndex(ModelChecksum, hasher, _classNames, _labels, _contentHashes, hasher.Hash(backend, _embeddings, Count), _embeddings, Views);
    }

    private SupportIndex Append(IComputeBackend backend, SupportItems items)
    {
        var names = new List<string>(_classNames);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < names.Count; c++) ids[names[c]] = c;
        var labels = new int[Count + items.Count];
        _labels.CopyTo(labels, 0);
        for (int i = 0; i < items.Count; i++)
        {
            if (!ids.TryGetValue(items.Classes[i], out int id))
            {
                id = names.Count;
                ids[items.Classes[i]] = id;
                names.Add(items.Classes[i]);
            }
            labels[Count + i] = id;
        }
        var hashes = new byte[(long)labels.Length * SupportItems.HashBytes];
        _contentHashes.CopyTo(hashes, 0);
        for (int i = 0; i < items.Count; i++) items.ContentHashes[i].CopyTo(hashes, (Count + i) * SupportItems.HashBytes);
        uint[] newCodes = Codebook is { } codebook ? codebook.Encode(backend, items.Embeddings, items.Count)
            : Hasher.Hash(backend, items.Embeddings, items.Count);
        uint[] codes = [.. _codes, .. newCodes];
        float[] embeddings = [.. _embeddings, .. items.Embeddings];
        return new SupportIndex(ModelChecksum, _hasher, Codebook, names.ToArray(), labels, hashes, codes, embeddings, Views);
    }

    internal static void CheckClassName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new Lshk.Core.InputException("a class name is empty");
        if (Encoding.UTF8.GetByteCount(name) > MaxClassNameBytes)
            throw new Lshk.Core.InputException($"class name '{name[..40]}…' is longer than {MaxClassNameBytes} bytes");
    }

    internal static void CheckChecksum(string checksum)
    {
        if (checksum.Length != 64 || !checksum.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"model checksum '{checksum}' is not 64 lowercase hex digits (SHA-256)");
    }

    private static void CheckDim(Hyperplanes planes, SupportItems items) => CheckDim(planes.Dim, items);

    private static void CheckDim(int dim, SupportItems items)
    {
        if (items.Dim != dim)
            throw new Lshk.Core.InputException($"embeddings of dimension {items.Dim} do not fit an index of dimension {dim}");
    }
}
