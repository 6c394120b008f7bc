namespace Lshk.Data.Sources;

public enum DatasetName { Omniglot, Mnist, Cifar10, Cifar100, Folder }

/// <summary>
/// A dataset as named on the command line: <c>NAME</c> or <c>NAME:PATH</c>, with NAME one of omniglot, mnist,
/// cifar10, cifar100, or folder (an image folder, which needs its PATH).
/// </summary>
public sealed record DatasetSpec(DatasetName Name, string? Path)
{
    public static readonly string[] Names = ["omniglot", "mnist", "cifar10", "cifar100", "folder"];

    public string Id => Names[(int)Name];

    public static DatasetSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        string name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        string? path = colon < 0 ? null : text[(colon + 1)..];
        if (path is { Length: 0 }) throw new ArgumentException($"dataset '{text}': empty path after ':'");
        int index = Array.IndexOf(Names, name.Replace("-", ""));
        if (index < 0) throw new ArgumentException($"unknown dataset '{name}' (omniglot, mnist, cifar10, cifar100, or folder:PATH)");
        var spec = new DatasetSpec((DatasetName)index, path);
        if (spec.Name == DatasetName.Folder && path is null) throw new ArgumentException("dataset 'folder' needs a path: folder:PATH");
        return spec;
    }

    public override string ToString() => Path is null ? Id : $"{Id}:{Path}";
}
