namespace Lshk.Data;

/// <summary>
/// Labelled images in memory: one float32 tensor of N×C×H×W values in [0, 1] (NCHW), a class label per image,
/// the class names and, where the dataset has them, a group per class (the Omniglot alphabet, the CIFAR-100
/// superclass). Immutable by convention: methods that change the selection return a new dataset.
/// </summary>
public sealed class Dataset
{
    private int[][]? _byClass;

    public Dataset(float[] images, int count, int channels, int height, int width, int[] labels,
        IReadOnlyList<string> classNames, IReadOnlyList<string>? classGroups, string source)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (count < 0 || channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"invalid dataset shape {count}×{channels}×{height}×{width}");
        if ((long)count * channels * height * width != images.LongLength)
            throw new ArgumentException($"{images.LongLength} values do not make {count} images of {channels}×{height}×{width}");
        if (labels.Length != count) throw new ArgumentException($"{labels.Length} labels for {count} images");
        if (classGroups is not null && classGroups.Count != classNames.Count)
            throw new ArgumentException($"{classGroups.Count} class groups for {classNames.Count} classes");
        foreach (int label in labels)
            if ((uint)label >= (uint)classNames.Count)
                throw new ArgumentException($"label {label} outside the {classNames.Count} classes");
        Images = images;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Labels = labels;
        ClassNames = classNames;
        ClassGroups = classGroups;
        Source = source;
    }

    /// <summary>All pixels, image after image, each C×H×W (NCHW), values in [0, 1] unless normalised.</summary>
    public float[] Images { get; }
    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    /// <summary>The class of each image, an index into <see cref="ClassNames"/>.</summary>
    public int[] Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The group (alphabet, superclass) of each class, or null when the dataset has none.</summary>
    public IReadOnlyList<string>? ClassGroups { get; }
    /// <summary>Where the images came from, for messages and episode files.</summary>
    public string Source { get; }

    public int ClassCount => ClassNames.Count;
    /// <summary>Values per image: C×H×W.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(checked(index * ImageLength), ImageLength);

    /// <summary>The image indices of each class, in dataset order.</summary>
    public IReadOnlyList<int[]> IndicesByClass()
    {
        if (_byClass is not null) return _byClass;
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        var byClass = new int[ClassCount][];
        for (int c = 0; c < ClassCount; c++) byClass[c] = new int[counts[c]];
        Array.Clear(counts);
        for (int i = 0; i < Count; i++) byClass[Labels[i]][counts[Labels[i]]++] = i;
        return _byClass = byClass;
    }

    /// <summary>The distinct groups in order of first appearance (empty when the dataset has none).</summary>
    public IReadOnlyList<string> GroupNames() => ClassGroups is null ? [] : ClassGroups.Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The images of the given classes only, relabelled 0..k−1 in the order given; images keep their dataset order.
    /// </summary>
    public Dataset SelectClasses(IReadOnlyList<int> classes, string? source = null)
    {
        var newLabel = new int[ClassCount];
        Array.Fill(newLabel, -1);
        for (int k = 0; k < classes.Count; k++)
        {
            int c = classes[k];
            if ((uint)c >= (uint)ClassCount) throw new ArgumentException($"class {c} outside the {ClassCount} classes of {Source}");
            if (newLabel[c] >= 0) throw new ArgumentException($"class {c} selected twice");
            newLabel[c] = k;
        }
        int n = 0;
        foreach (int label in Labels) if (newLabel[label] >= 0) n++;
        int len = ImageLength;
        var images = new float[(long)n * len];
        var labels = new int[n];
        int j = 0;
        for (int i = 0; i < Count; i++)
        {
            int k = newLabel[Labels[i]];
            if (k < 0) continue;
            Images.AsSpan(i * len, len).CopyTo(images.AsSpan(j * len, len));
            labels[j++] = k;
        }
        var names = classes.Select(c => ClassNames[c]).ToArray();
        var groups = ClassGroups is null ? null : classes.Select(c => ClassGroups[c]).ToArray();
        return new Dataset(images, n, Channels, Height, Width, labels, names, groups, source ?? Source);
    }

    /// <summary>Two parts of one dataset with the same classes and image shape (e.g. MNIST's train and test halves).</summary>
    public static Dataset Concat(Dataset first, Dataset second, string source)
    {
        RequireSameShape(first, second);
        if (!first.ClassNames.SequenceEqual(second.ClassNames, StringComparer.Ordinal))
            throw new ArgumentException($"cannot join {first.Source} and {second.Source}: their classes differ");
        var images = new float[first.Images.LongLength + second.Images.LongLength];
        first.Images.CopyTo(images, 0);
        second.Images.CopyTo(images, first.Images.LongLength);
        return new Dataset(images, first.Count + second.Count, first.Channels, first.Height, first.Width,
            [.. first.Labels, .. second.Labels], first.ClassNames, first.ClassGroups, source);
    }

    /// <summary>
    /// Two datasets with different classes as one (e.g. Omniglot's background and evaluation sets): the second's
    /// classes follow the first's, so class c of the second becomes class first.ClassCount + c.
    /// </summary>
    public static Dataset Union(Dataset first, Dataset second, string source)
    {
        RequireSameShape(first, second);
        if ((first.ClassGroups is null) != (second.ClassGroups is null))
            throw new ArgumentException($"cannot join {first.Source} and {second.Source}: only one has class groups");
        var images = new float[first.Images.LongLength + second.Images.LongLength];
        first.Images.CopyTo(images, 0);
        second.Images.CopyTo(images, first.Images.LongLength);
        int offset = first.ClassCount;
        var groups = first.ClassGroups is null ? null : first.ClassGroups.Concat(second.ClassGroups!).ToArray();
        return new Dataset(images, first.Count + second.Count, first.Channels, first.Height, first.Width,
            [.. first.Labels, .. second.Labels.Select(l => l + offset)], [.. first.ClassNames, .. second.ClassNames], groups, source);
    }

    private static void RequireSameShape(Dataset first, Dataset second)
    {
        if (first.Channels != second.Channels || first.Height != second.Height || first.Width != second.Width)
            throw new ArgumentException($"cannot join {first.Source} ({first.Channels}×{first.Height}×{first.Width}) " +
                                        $"and {second.Source} ({second.Channels}×{second.Height}×{second.Width})");
    }

    public override string ToString() =>
        $"{Source}: {Count} images of {Channels}×{Height}×{Width}, {ClassCount} classes" +
        (ClassGroups is null ? "" : $" in {GroupNames().Count} groups");
}
