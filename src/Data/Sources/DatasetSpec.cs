using Lshk.Data.Datasets;

namespace Lshk.Data.Sources;

/// <summary>
/// A dataset as named on the command line: <c>NAME</c> or <c>NAME:PATH</c>, NAME a registered kind
/// (<see cref="DatasetRegistry"/>: omniglot, mnist, cifar10, cifar100, or folder, which needs its PATH).
/// </summary>
public sealed record DatasetSpec(DatasetKind Kind, string? Path)
{
    public string Id => Kind.Id;

    public static DatasetSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        string? path = colon < 0 ? null : text[(colon + 1)..];
        if (path is { Length: 0 }) throw new Lshk.Core.InputException($"dataset '{text}': empty path after ':'");
        var kind = DatasetRegistry.Get(name);
        if (kind.NeedsPath && path is null) throw new Lshk.Core.InputException($"dataset '{kind.Id}' needs a path: {kind.Id}:PATH");
        return new DatasetSpec(kind, path);
    }

    public override string ToString() => Path is null ? Id : $"{Id}:{Path}";
}
