using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Lshk.Tests.Architecture;

/// <summary>One project as the checker sees it: its folder name under src/, its .csproj text, its .cs files.</summary>
internal sealed record ProjectSource(string Name, string ProjectFile, string ProjectXml, IReadOnlyList<(string Path, string Text)> Files);

/// <summary>
/// Checks projects against <see cref="LayerRules"/> and returns every violation as one line naming the file (and
/// line), the arrow, and what the rule allows. Looks at ProjectReference, PackageReference and FrameworkReference items, using
/// directives (plain, static, alias, global), fully-qualified <c>Lshk.X.</c> names in code, and, in the layers
/// below the command line, string literals that mention a command-line option.
/// </summary>
internal static partial class LayeringChecker
{
    public static List<string> Check(IEnumerable<ProjectSource> projects)
    {
        var problems = new List<string>();
        foreach (var project in projects)
        {
            if (!LayerRules.Projects.TryGetValue(project.Name, out var allowed))
            {
                problems.Add($"{project.ProjectFile}: project '{project.Name}' is not in the layering table " +
                             $"(tests/Architecture/LayerRules.cs); add it with the projects it may use");
                continue;
            }
            CheckProjectFile(project, allowed, problems);
            foreach (var (path, text) in project.Files) CheckSource(project.Name, allowed, path, text, problems);
        }
        return problems;
    }

    private static void CheckProjectFile(ProjectSource project, string[] allowed, List<string> problems)
    {
        var items = XDocument.Parse(project.ProjectXml).Descendants();
        foreach (var reference in items.Where(e => e.Name.LocalName == "ProjectReference"))
        {
            string include = (string?)reference.Attribute("Include") ?? "";
            string target = Path.GetFileName(Path.GetDirectoryName(include.Replace('\\', '/'))) ?? include;
            if (!allowed.Contains(target))
                problems.Add($"{project.ProjectFile}: ProjectReference {project.Name} → {target} is not allowed ({Allows(project.Name, allowed)})");
        }
        // A shared framework beyond the base one (ASP.NET Core) is held to the package table like a package.
        foreach (var reference in items.Where(e => e.Name.LocalName is "PackageReference" or "FrameworkReference"))
        {
            string id = (string?)reference.Attribute("Include") ?? (string?)reference.Attribute("Update") ?? "";
            CheckPackage(project.Name, id, $"{project.ProjectFile}: {reference.Name.LocalName}", problems);
        }
    }

    private static void CheckSource(string project, string[] allowed, string path, string text, List<string> problems)
    {
        var parsed = CSharpText.Parse(text);
        string[] lines = parsed.Code.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var names = new List<(string Name, string How)>();
            var u = UsingDirective().Match(lines[i]);
            if (u.Success) names.Add((u.Groups["name"].Value, "using " + u.Groups["name"].Value));
            else if (!lines[i].TrimStart().StartsWith("namespace", StringComparison.Ordinal))
                foreach (Match q in QualifiedName().Matches(lines[i])) names.Add((q.Value, q.Value));
            foreach (var (name, how) in names)
            {
                string? owner = LayerRules.OwnerOf(name);
                if (owner is null || owner == project) continue;
                string where = $"{path}:{i + 1}";
                if (owner.StartsWith("package:", StringComparison.Ordinal)) CheckPackage(project, owner["package:".Length..], $"{where}: {how}:", problems);
                else if (!allowed.Contains(owner))
                    problems.Add($"{where}: {project} → {owner} ({how}) is not allowed ({Allows(project, allowed)})");
            }
        }
        if (!LayerRules.NoCommandLine.Contains(project)) return;
        foreach (var (line, literal) in parsed.Strings)
            if (OptionMention().Match(literal) is { Success: true } m)
                problems.Add($"{path}:{line}: {project} is below the command line but its string \"{literal}\" mentions the option " +
                             $"'{m.Value}'; say what is wrong with the value and let the command line name its option");
    }

    private static void CheckPackage(string project, string id, string where, List<string> problems)
    {
        if (!LayerRules.Packages.TryGetValue(id, out var users))
            problems.Add($"{where} {project} → package {id}: the package is not in the layering table (tests/Architecture/LayerRules.cs)");
        else if (!users.Contains(project))
            problems.Add($"{where} {project} → package {id} is not allowed (only {string.Join(", ", users)} may use it)");
    }

    private static string Allows(string project, string[] allowed) =>
        allowed.Length == 0 ? $"{project} may use none of our projects" : $"{project} may use {string.Join(", ", allowed)}";

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?(?<name>[A-Za-z_][\w.]*)\s*;")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])(Lshk|ILGPU|SixLabors|Spectre|ScottPlot|System\.CommandLine)(\.\w+)+")]
    private static partial Regex QualifiedName();

    /// <summary>"--" then an option-like word, as in "--planes" (not "---" rules or a "--" separator).</summary>
    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]+")]
    private static partial Regex OptionMention();
}
