using Lshk.Cli.Commands;
using Lshk.Data;
using Lshk.Data.Sources;
using Lshk.Tests.Data;
using Spectre.Console;

namespace Lshk.Tests.Cli;

/// <summary>`lshk train` fetches a dataset that is in neither $LSHK_DATA nor data/ (unless told not to).</summary>
public class DatasetDownloadTests
{
    private static IAnsiConsole Quiet(StringWriter writer) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No });

    [Fact]
    public void MissingDatasetIsDownloadedFromTheMirrorAndCheckedAgainstItsChecksum()
    {
        using var dir = new TempFolder();
        using var server = new LocalHttpServer();
        // Files that are not the official ones: the download must reach the server and then fail the MD5 check.
        foreach (var name in new[] { "images_background.zip", "images_evaluation.zip" })
            server.Files[name] = "not the official file"u8.ToArray();
        var locations = new DataLocations(dir.Path, repoRoot: null);
        var spec = DatasetSpec.Parse("omniglot");
        var log = new StringWriter();
        var e = Assert.ThrowsAny<Exception>(() => DatasetDownload.EnsurePresent(spec, locations, allowed: true, Quiet(log), server.BaseUrl));
        Assert.Contains("images_background.zip", e.Message);
        Assert.Contains("downloading it to", log.ToString());
        Assert.Contains(server.Requests, r => r.Path.EndsWith("images_background.zip", StringComparison.Ordinal));
        // Nothing that passes for the dataset is left behind: the search still finds no dataset.
        Assert.ThrowsAny<Exception>(() => locations.Resolve(spec));
    }

    [Fact]
    public void NoDownloadLeavesTheNotFoundErrorAndPresentDataIsNotFetched()
    {
        using var dir = new TempFolder();
        using var server = new LocalHttpServer();
        var locations = new DataLocations(dir.Path, repoRoot: null);
        var spec = DatasetSpec.Parse("omniglot");
        DatasetDownload.EnsurePresent(spec, locations, allowed: false, Quiet(new StringWriter()), server.BaseUrl);
        var e = Assert.ThrowsAny<DatasetFormatException>(() => locations.Resolve(spec));
        Assert.Contains("lshk data get omniglot", e.Message);

        Directory.CreateDirectory(Path.Combine(dir.Path, "omniglot"));
        DatasetDownload.EnsurePresent(spec, locations, allowed: true, Quiet(new StringWriter()), server.BaseUrl);
        DatasetDownload.EnsurePresent(DatasetSpec.Parse($"omniglot:{dir.Path}"), locations, allowed: true, Quiet(new StringWriter()), server.BaseUrl);
        Assert.Empty(server.Requests);
    }
}
