using Lshk.Data.Npy;

namespace Lshk.Tests.Cli;

/// <summary>Bad input ends with one line naming the problem (and the file), and a non-zero exit code.</summary>
public class CliErrorTests
{
    private static void AssertOneLineError((int Code, string Out, string Err) result, params string[] mustContain)
    {
        Assert.NotEqual(0, result.Code);
        string err = result.Err.Trim();
        Assert.False(string.IsNullOrEmpty(err));
        Assert.DoesNotContain("   at ", err);   // no stack trace
        foreach (var text in mustContain) Assert.Contains(text, err);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteEmbeddings(float bad)
    {
        using var dir = new TempFolder();
        NpyFile.WriteFloat32(dir.File("x.npy"), [1, 2, 3, bad], 2, 2);
        var result = CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--planes", "8", "--out", dir.File("c.npy"), "--device", "cpu");
        AssertOneLineError(result, "x.npy", "row 1");
        Assert.Single(result.Err.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("c.npy")));
    }

    [Fact]
    public void PlanesBelowOne()
    {
        using var dir = new TempFolder();
        NpyFile.WriteFloat32(dir.File("x.npy"), [1, 2], 1, 2);
        AssertOneLineError(CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--planes", "0", "--out", dir.File("c.npy")), "--planes");
    }

    [Fact]
    public void KBelowOne()
    {
        using var dir = new TempFolder();
        NpyFile.WriteUInt8(dir.File("s.npy"), [1, 2], 2, 1);
        AssertOneLineError(CliRunner.Run("search", "--support", dir.File("s.npy"), "--query", dir.File("s.npy"), "--k", "0",
            "--out", dir.File("i.npy")), "--k");
    }

    [Fact]
    public void MismatchedDimensions()
    {
        using var dir = new TempFolder();
        NpyFile.WriteFloat32(dir.File("s.npy"), new float[6], 2, 3);
        NpyFile.WriteFloat32(dir.File("q.npy"), new float[4], 2, 2);
        AssertOneLineError(CliRunner.Run("search", "--support", dir.File("s.npy"), "--query", dir.File("q.npy"), "--out", dir.File("i.npy")),
            "q.npy", "dimension 2", "3");
        NpyFile.WriteUInt8(dir.File("a.npy"), new byte[6], 2, 3);
        NpyFile.WriteUInt8(dir.File("b.npy"), new byte[4], 2, 2);
        AssertOneLineError(CliRunner.Run("search", "--support", dir.File("a.npy"), "--query", dir.File("b.npy"), "--out", dir.File("i.npy")),
            "b.npy", "bytes per code");
        AssertOneLineError(CliRunner.Run("search", "--support", dir.File("a.npy"), "--query", dir.File("s.npy"), "--out", dir.File("i.npy")),
            "s.npy");
    }

    [Fact]
    public void MalformedNpy()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("bad.npy"), "\x93NUMPY\x01\x00garbage"u8.ToArray());
        AssertOneLineError(CliRunner.Run("hash", "--embeddings", dir.File("bad.npy"), "--planes", "8", "--out", dir.File("c.npy")), "bad.npy");
        File.WriteAllBytes(dir.File("text.npy"), "just text"u8.ToArray());
        AssertOneLineError(CliRunner.Run("search", "--support", dir.File("text.npy"), "--query", dir.File("text.npy"), "--out", dir.File("i.npy")), "text.npy");
    }

    [Fact]
    public void MissingFileAndUnknownDevice()
    {
        using var dir = new TempFolder();
        AssertOneLineError(CliRunner.Run("hash", "--embeddings", dir.File("nope.npy"), "--planes", "8", "--out", dir.File("c.npy")), "nope.npy");
        NpyFile.WriteFloat32(dir.File("x.npy"), [1, 2], 1, 2);
        AssertOneLineError(CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--out", dir.File("c.npy"), "--device", "tpu"), "tpu");
        AssertOneLineError(CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--out", dir.File("c.npy"), "--hash", "fancy"), "fancy");
    }

    [Fact]
    public void DevicesListsTheCpu()
    {
        var (code, output, _) = CliRunner.Run("devices");
        Assert.Equal(0, code);
        Assert.Contains("cpu", output);
    }
}
