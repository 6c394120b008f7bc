using System.CommandLine;
using Lshk.App.Modeling;
using Lshk.Lsh.Index;

namespace Lshk.Cli.Commands;

/// <summary>
/// The options of a command that embeds images under test-time views (<see cref="TestTimeViews"/>: eval, embed, and
/// enroll, classify and serve, where an index records them).
/// </summary>
internal sealed class ViewOptions
{
    public Option<int> Views { get; } = new("--views")
    {
        Description = $"Embed each image as the mean over this many views: the image and distorted copies of it (1: the image alone; at most {TestTimeViews.MaxCount})",
        DefaultValueFactory = _ => 1,
    };

    public Option<string?> Distortion { get; } = new("--view-distortion")
    {
        Description = $"Limits of the views' distortions, as lshk train --augment takes them (default {TestTimeViews.DefaultDistortion})",
    };

    public IEnumerable<Option> All => [Views, Distortion];

    /// <summary>
    /// The views to embed with when an index may exist: its own (queries and additions must be embedded as its supports
    /// were), or, for a new index (<paramref name="index"/> null), those asked for. Asking an existing index for other
    /// views is a usage error naming both.
    /// </summary>
    public TestTimeViews? ForIndex(ParseResult parse, SupportIndex? index, string? indexPath)
    {
        var asked = Parse(parse);
        if (index is null) return asked;
        var stored = TestTimeViews.Of(index, indexPath!);
        bool given = EvalOptions.Given(parse, Views) || EvalOptions.Given(parse, Distortion);
        if (given && asked?.ForIndex() != stored?.ForIndex())
            throw new UsageException($"{indexPath} was enrolled with {EmbeddingViews.Describe(index.Views)}, and its queries and additions " +
                                     $"are embedded the same way: drop --views/--view-distortion or make them match (asked: {EmbeddingViews.Describe(asked?.ForIndex())})");
        return stored;
    }

    /// <summary>The views asked for; null when --views is 1.</summary>
    public TestTimeViews? Parse(ParseResult parse)
    {
        int count = parse.GetValue(Views);
        string? distortion = parse.GetValue(Distortion);
        if (count == 1 && distortion is not null) throw new UsageException("--view-distortion needs --views above 1");
        try
        {
            var views = TestTimeViews.Parse(count, distortion);
            return views.Count == 1 ? null : views;
        }
        catch (FormatException e)
        {
            throw new UsageException($"--views/--view-distortion: {e.Message}");
        }
    }
}
