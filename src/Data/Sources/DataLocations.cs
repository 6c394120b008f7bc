namespace Lshk.Data.Sources;

/// <summary>
/// Where datasets and caches live. A dataset NAME is looked for at an explicit path, then in
/// <c>$LSHK_DATA/NAME</c>, then in <c>data/NAME</c> of the repository (the folder holding Kernels.sln, found by
/// walking up from the working directory or from the program), then where a system package installs it
/// (<see cref="Datasets.DatasetKind.InstalledFolders"/>). Caches go to <c>$LSHK_DATA/cache</c>, else
/// <c>data/cache</c> in the repository, else the user's local application data folder.
/// </summary>
public sealed class DataLocations
{
    public const string EnvironmentVariable = "LSHK_DATA";

    public DataLocations(string? dataRoot, string? repoRoot)
    {
        DataRoot = string.IsNullOrWhiteSpace(dataRoot) ? null : dataRoot;
        RepoRoot = repoRoot;
    }

    /// <summary>From $LSHK_DATA and the repository around the working directory or the program.</summary>
    public static DataLocations FromEnvironment() =>
        new(Environment.GetEnvironmentVariable(EnvironmentVariable), FindRepoRoot(Directory.GetCurrentDirectory()) ?? FindRepoRoot(AppContext.BaseDirectory));

    public string? DataRoot { get; }
    public string? RepoRoot { get; }

    /// <summary>The folder holding Kernels.sln at or above <paramref name="start"/>, or null.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kernels.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>The folders searched for a dataset NAME, in order (explicit paths aside).</summary>
    public IReadOnlyList<string> SearchFolders(string name)
    {
        var folders = new List<string>();
        if (DataRoot is not null) folders.Add(Path.Combine(DataRoot, name));
        if (RepoRoot is not null) folders.Add(Path.Combine(RepoRoot, "data", name));
        if (Datasets.DatasetRegistry.Find(name) is { } kind) folders.AddRange(kind.InstalledFolders);
        return folders;
    }

    /// <summary>The dataset's path: the explicit one if given (it must exist), else the first search folder that exists.</summary>
    public string Resolve(DatasetSpec spec)
    {
        if (spec.Path is not null)
        {
            if (!File.Exists(spec.Path) && !Directory.Exists(spec.Path)) throw new DatasetFormatException(spec.Path, "not found");
            return spec.Path;
        }
        var folders = SearchFolders(spec.Id);
        foreach (string folder in folders)
            if (Directory.Exists(folder)) return folder;
        string looked = folders.Count == 0 ? "$LSHK_DATA is not set and no repository was found" : "looked in " + string.Join(", ", folders);
        throw new DatasetFormatException(spec.Id, $"dataset not found ({looked}); download it with 'lshk data get {spec.Id}' or give its path as {spec.Id}:PATH");
    }

    /// <summary>Where <c>lshk data get NAME</c> puts the files by default.</summary>
    public string DownloadFolder(string name) =>
        DataRoot is not null ? Path.Combine(DataRoot, name)
        : RepoRoot is not null ? Path.Combine(RepoRoot, "data", name)
        : Path.Combine(Directory.GetCurrentDirectory(), "data", name);

    public string CacheFolder() =>
        DataRoot is not null ? Path.Combine(DataRoot, "cache")
        : RepoRoot is not null ? Path.Combine(RepoRoot, "data", "cache")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "lshk", "cache");
}
