using Lshk.Data;

namespace Lshk.Tests.Data;

/// <summary>The temporary files a killed write leaves, and removing them for one file only.</summary>
public sealed class AtomicFileLeftoverTests
{
    [Fact]
    public void OnlyTheTemporaryFilesOfTheNamedFileAreRemoved()
    {
        using var dir = new Lshk.Tests.Cli.TempFolder();
        string index = dir.File("x.lshi");
        AtomicFile.WriteAllText(index, "complete");
        // A write that never committed (its process killed), and another file's unfinished write.
        var killed = AtomicFile.Open(index);
        killed.Stream.WriteByte(1);
        killed.Stream.Flush();
        string[] before = Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray()!;
        File.WriteAllText(dir.File(".y.lshi.7.abc.tmp"), "other");

        killed.Stream.Dispose(); // keeps its file, as a killed process would
        Assert.Equal(1, AtomicFile.RemoveLeftovers(index));
        Assert.Equal([".y.lshi.7.abc.tmp", "x.lshi"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("complete", File.ReadAllText(index));
        Assert.Equal(2, before.Length); // x.lshi and its temporary file existed before the clean-up
        Assert.Equal(0, AtomicFile.RemoveLeftovers(index));
    }
}
