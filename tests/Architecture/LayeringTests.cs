namespace Lshk.Tests.Architecture;

/// <summary>
/// The dependency rule (docs/ARCHITECTURE.md): Core → nothing; Kernels → Core; Nn → Kernels; Lsh → Kernels; Data → Core;
/// App → Kernels, Nn, Lsh, Data; Cli → App and the libraries (every project may use Core). Only Kernels uses ILGPU, only Cli the
/// command-line, terminal and plotting packages, and nothing below Cli mentions a command-line option.
/// </summary>
public class LayeringTests
{
    [Fact]
    public void EveryProjectInSrcKeepsTheDependencyRule()
    {
        var projects = ReadSrc();
        Assert.Contains(projects, p => p.Name == "Kernels");
        Assert.All(projects, p => Assert.NotEmpty(p.Files));
        var problems = LayeringChecker.Check(projects);
        Assert.True(problems.Count == 0, $"{problems.Count} layering problem(s):\n" + string.Join("\n", problems));
    }

    // ---- the checker catches what it should (synthetic projects) ----

    [Fact]
    public void AForbiddenUsingIsNamedWithFileLineAndArrow()
    {
        var problems = Check(Project("Lsh", References("Kernels"),
            ("src/Lsh/Matcher.cs", "using Lshk.Kernels;\nusing static Lshk.Nn.Layers.Relu;\n\nnamespace Lshk.Lsh;\n")));
        Assert.Equal(["src/Lsh/Matcher.cs:2: Lsh → Nn (using Lshk.Nn.Layers.Relu) is not allowed (Lsh may use Core, Kernels)"], problems);
    }

    [Fact]
    public void ForbiddenProjectAndPackageReferencesAreNamed()
    {
        var problems = Check(
            Project("Kernels", References("Cli") + Package("System.CommandLine") + Package("ILGPU")),
            Project("Nn", References("Kernels") + Package("ILGPU")),
            Project("Data", Package("Left.Pad")));
        Assert.Equal(
        [
            "src/Kernels/Lshk.Kernels.csproj: ProjectReference Kernels → Cli is not allowed (Kernels may use Core)",
            "src/Kernels/Lshk.Kernels.csproj: PackageReference Kernels → package System.CommandLine is not allowed (only Cli may use it)",
            "src/Nn/Lshk.Nn.csproj: PackageReference Nn → package ILGPU is not allowed (only Kernels may use it)",
            "src/Data/Lshk.Data.csproj: PackageReference Data → package Left.Pad: the package is not in the layering table (tests/Architecture/LayerRules.cs)",
        ], problems);
    }

    [Fact]
    public void FullyQualifiedNamesCountButCommentsAndStringsDoNot()
    {
        var problems = Check(Project("Data", "",
            ("src/Data/A.cs", """"
                namespace Lshk.Data;
                // Lshk.Cli.App calls this; see also Lshk.Kernels.Check.
                /* Lshk.Nn.Sequential */
                class A
                {
                    string S = "Lshk.Lsh.Hyperplanes";
                    string V = @"Lshk.Lsh.""quoted""";
                    char C = '"';
                    void F() => Lshk.Kernels.Check.Positive(1, "n");
                    void G() => global::ILGPU.Context.CreateDefault();
                }
                """")));
        Assert.Equal(
        [
            "src/Data/A.cs:9: Data → Kernels (Lshk.Kernels.Check.Positive) is not allowed (Data may use Core)",
            "src/Data/A.cs:10: ILGPU.Context.CreateDefault: Data → package ILGPU is not allowed (only Kernels may use it)",
        ], problems);
    }

    [Fact]
    public void OptionsInLibraryStringsAreCaughtWhereverTheStringIs()
    {
        var problems = Check(
            Project("Data", "", ("src/Data/Episodes.cs", """"
                namespace Lshk.Data;
                class E
                {
                    // --ways in a comment is fine
                    void A(int w) => throw new ArgumentException($"{(w > 1 ? "many" : "one")} ways, see --ways");
                    void B() => throw new ArgumentException("ways must be at least 1 (got -1); a -- b; ---");
                    string C = $$"""{{{"x"}}} --shots""";
                }
                """")),
            Project("Cli", References("App"), ("src/Cli/Cmd.cs", "class C { string S = \"--ways must be positive\"; }")),
            Project("App", References("Lsh", "Nn"), ("src/App/Run.cs", "using Lshk.Nn;\nclass R { string S = \"use --planes\"; }")));
        Assert.Equal(3, problems.Count);
        Assert.StartsWith("src/Data/Episodes.cs:5: Data is below the command line but its string \"", problems[0]);
        Assert.EndsWith("mentions the option '--ways'; say what is wrong with the value and let the command line name its option", problems[0]);
        Assert.StartsWith("src/Data/Episodes.cs:7: ", problems[1]);
        Assert.Contains("'--shots'", problems[1]);
        Assert.StartsWith("src/App/Run.cs:2: App is below the command line", problems[2]);
    }

    [Fact]
    public void AProjectTheTableDoesNotKnowFails()
    {
        Assert.Equal(["src/Training/Lshk.Training.csproj: project 'Training' is not in the layering table (tests/Architecture/LayerRules.cs); add it with the projects it may use"],
            Check(Project("Training", References("Nn"))));
        // The application layer is in the table before it exists.
        Assert.Empty(Check(Project("App", References("Kernels", "Nn", "Lsh", "Data")),
            Project("Cli", References("App", "Lsh") + Package("Spectre.Console"), ("src/Cli/X.cs", "using Lshk.App;\nusing Spectre.Console;\n"))));
    }

    [Fact]
    public void OnlyTheServiceMayUseTheWebFramework()
    {
        var problems = Check(
            Project("Serve", References("App") + "<FrameworkReference Include=\"Microsoft.AspNetCore.App\" />",
                ("src/Serve/S.cs", "using Microsoft.AspNetCore.Builder;\nusing Prometheus;\n")),
            Project("App", "<FrameworkReference Include=\"Microsoft.AspNetCore.App\" />",
                ("src/App/A.cs", "using Microsoft.AspNetCore.Http;\n")),
            Project("Cli", References("Serve")));
        Assert.Equal(
        [
            "src/App/Lshk.App.csproj: FrameworkReference App → package Microsoft.AspNetCore.App is not allowed (only Serve may use it)",
            "src/App/A.cs:1: using Microsoft.AspNetCore.Http: App → package Microsoft.AspNetCore.App is not allowed (only Serve may use it)",
        ], problems);
    }

    // ---- reading the repository ----

    private static List<ProjectSource> ReadSrc()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        var projects = new List<ProjectSource>();
        foreach (string folder in Directory.GetDirectories(src).Order(StringComparer.Ordinal))
        {
            string? csproj = Directory.GetFiles(folder, "*.csproj").SingleOrDefault();
            if (csproj is null) continue;
            var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(Path.GetRelativePath(folder, f)))
                .Order(StringComparer.Ordinal)
                .Select(f => (Relative(f), File.ReadAllText(f)))
                .ToList();
            projects.Add(new ProjectSource(Path.GetFileName(folder), Relative(csproj), File.ReadAllText(csproj), files));
        }
        return projects;

        string Relative(string path) => Path.GetRelativePath(Path.GetDirectoryName(src)!, path).Replace('\\', '/');
    }

    private static bool IsBuildOutput(string relative)
    {
        string first = relative.Replace('\\', '/').Split('/')[0];
        return first is "bin" or "obj";
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kernels.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no repository root (with Kernels.sln and src/) above {AppContext.BaseDirectory}");
    }

    // ---- synthetic projects ----

    private static List<string> Check(params ProjectSource[] projects) => LayeringChecker.Check(projects);

    private static ProjectSource Project(string name, string items, params (string Path, string Text)[] files) =>
        new(name, $"src/{name}/Lshk.{name}.csproj", $"<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>", files);

    private static string References(params string[] projects) =>
        string.Concat(projects.Select(p => $"<ProjectReference Include=\"../{p}/Lshk.{p}.csproj\" />"));

    private static string Package(string id) => $"<PackageReference Include=\"{id}\" />";
}
