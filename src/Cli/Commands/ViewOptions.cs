using System.CommandLine;
using Lshk.App.Modeling;

namespace Lshk.Cli.Commands;

/// <summary>The options of a command that embeds images under test-time views (<see cref="TestTimeViews"/>: eval, embed).</summary>
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
