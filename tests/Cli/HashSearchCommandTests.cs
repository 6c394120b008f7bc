using Lshk.Data.Npy;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cli;

public class HashSearchCommandTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(12)]   // not a multiple of 8: ⌈P/8⌉ bytes, the high bits of the last byte are 0 (as packbits pads)
    public void HashWritesPackbitsLittleLayout(int p)
    {
        using var dir = new TempFolder();
        int n = 37, d = 10;
        float[] x = RandomArrays.Gaussian(n * d, 21);
        NpyFile.WriteFloat32(dir.File("x.npy"), x, n, d);
        var (code, _, err) = CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--planes", p.ToString(), "--seed", "9",
            "--out", dir.File("codes.npy"), "--device", "cpu");
        Assert.True(code == 0, err);
        var (bytes, rows, cols) = NpyFile.ReadUInt8Matrix(dir.File("codes.npy"));
        Assert.Equal((n, (p + 7) / 8), (rows, cols));

        // Independent expectation: the sign bits of the reference projection, packed as
        // numpy.packbits(bits, axis=1, bitorder='little') does: bit i → byte i/8, position i%8.
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, p, d, 9);
        float[] proj = ScalarReference.Project(x, n, d, planes.Normals, null, p);
        var expected = new byte[n * cols];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
                if (proj[r * p + i] >= 0) expected[r * cols + i / 8] |= (byte)(1 << (i % 8));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void HammingSearchMatchesReferenceAndWritesXnorCounts()
    {
        using var dir = new TempFolder();
        int n = 300, q = 20, bits = 64, k = 5;
        uint[] s = RandomArrays.Codes(n, bits, 4, 1), qs = RandomArrays.Codes(q, bits, 4, 2);
        NpyFile.WriteUInt8(dir.File("s.npy"), ToBytes(s), n, bits / 8);
        NpyFile.WriteUInt8(dir.File("q.npy"), ToBytes(qs), q, bits / 8);
        var (code, _, err) = CliRunner.Run("search", "--support", dir.File("s.npy"), "--query", dir.File("q.npy"), "--k", "5",
            "--out", dir.File("i.npy"), "--scores", dir.File("d.npy"), "--stats", dir.File("stats.json"), "--device", "cpu");
        Assert.True(code == 0, err);
        var (idx, score) = ScalarReference.HammingTopK(s, n, qs, q, bits, k);
        var (gotIdx, rows, cols) = NpyFile.ReadInt64Matrix(dir.File("i.npy"));
        Assert.Equal((q, k), (rows, cols));
        Assert.Equal(idx.Select(i => (long)i), gotIdx);
        Assert.Equal(score, NpyFile.ReadInt32Matrix(dir.File("d.npy")).Data);
        Assert.Contains("search_seconds", File.ReadAllText(dir.File("stats.json")));
    }

    [Fact]
    public void CosineSearchMatchesReferenceAndPadsWhenNIsBelowK()
    {
        using var dir = new TempFolder();
        int n = 3, q = 4, d = 6, k = 5;
        float[] s = RandomArrays.Gaussian(n * d, 5, 1), qs = RandomArrays.Gaussian(q * d, 5, 2);
        NpyFile.WriteFloat32(dir.File("s.npy"), s, n, d);
        NpyFile.WriteFloat32(dir.File("q.npy"), qs, q, d);
        var (code, _, err) = CliRunner.Run("search", "--support", dir.File("s.npy"), "--query", dir.File("q.npy"), "--k", "5",
            "--out", dir.File("i.npy"), "--scores", dir.File("c.npy"), "--device", "cpu");
        Assert.True(code == 0, err);
        var (idx, score) = ScalarReference.CosineTopK(s, n, qs, q, d, k);
        Assert.Equal(idx.Select(i => (long)i), NpyFile.ReadInt64Matrix(dir.File("i.npy")).Data);
        float[] got = NpyFile.ReadFloat32Matrix(dir.File("c.npy")).Data;
        for (int i = 0; i < got.Length; i++)
            if (idx[i] >= 0) Assert.Equal(score[i], got[i], 1e-5);
            else Assert.Equal(float.NegativeInfinity, got[i]);
    }

    private static byte[] ToBytes(uint[] words) => words.SelectMany(BitConverter.GetBytes).ToArray();
}
