using Lshk.App.Evaluation;
using Lshk.Data;
using Lshk.Data.Npy;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Tests.Lsh;

namespace Lshk.Tests.Cli;

/// <summary>The command line resolves hash family names through the registry, so a registered family needs no CLI edit.</summary>
public class HashFamilyCommandTests
{
    public HashFamilyCommandTests() => ToyHashFamilies.Register();

    [Fact]
    public void HashRunsARegisteredFamilyByName()
    {
        using var dir = new TempFolder();
        int n = 23, d = 6, p = 10;
        float[] x = RandomArrays.Gaussian(n * d, 31);
        NpyFile.WriteFloat32(dir.File("x.npy"), x, n, d);
        var (code, _, err) = CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--planes", p.ToString(), "--seed", "4",
            "--hash", "toy-axis", "--out", dir.File("codes.npy"), "--device", "cpu");
        Assert.True(code == 0, err);
        // Bit i = x[(i + seed) mod D] ≥ 0, packed as numpy.packbits(bitorder='little').
        var (bytes, rows, cols) = NpyFile.ReadUInt8Matrix(dir.File("codes.npy"));
        Assert.Equal((n, 2), (rows, cols));
        var expected = new byte[n * cols];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
                if (x[r * d + ToyHashFamilies.AxisPlanes.Axis(i, d, 4)] >= 0) expected[r * cols + i / 8] |= (byte)(1 << (i % 8));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void HashRefusesUnknownAndFittedFamiliesInOneLine()
    {
        using var dir = new TempFolder();
        NpyFile.WriteFloat32(dir.File("x.npy"), RandomArrays.Gaussian(12, 1), 3, 4);
        foreach (var (family, message) in new[]
                 {
                     ("toy-nope", "lshk: error: unknown hash family 'toy-nope' (known: gaussian, uniform, integer"),
                     ("toy-fitted", "lshk: error: hash family 'toy-fitted' is fitted to training embeddings, not drawn from a seed"),
                 })
        {
            var (code, _, err) = CliRunner.Run("hash", "--embeddings", dir.File("x.npy"), "--hash", family,
                "--out", dir.File("c.npy"), "--device", "cpu");
            Assert.Equal(1, code);
            Assert.StartsWith(message, err);
            Assert.Single(err.TrimEnd().Split('\n'));
        }
    }

    [Fact]
    public void EvalResolvesFamiliesBeforeLoadingAnything()
    {
        using var dir = new TempFolder();
        string model = dir.File("absent.safetensors");
        // Every kind of family is welcome in the grid (see FittedEvaluationTests); a name nobody registered is refused
        // before the (absent) model is even opened.
        var (code, _, err) = CliRunner.Run("eval", "--model", model, "--hash", "gaussian,toy-class-mean,nosuch", "--device", "cpu");
        Assert.NotEqual(0, code);
        Assert.StartsWith("lshk: error: unknown hash family 'nosuch'", err);
    }

    /// <summary>
    /// The evaluation grid runs a registered family and labels its rows with the family's name. Toy planes at 2·D
    /// are each axis twice, which doubles every Hamming distance and so keeps every nearest neighbour and tie of
    /// the D planes: both counts must give the same accuracy on the same episodes. Gaussian planes give another.
    /// </summary>
    [Fact]
    public void TheEvaluationGridRunsARegisteredFamily()
    {
        int classes = 8, per = 6, n = classes * per, dim = 4;
        float[] centres = RandomArrays.Gaussian(classes * dim, 3), noise = RandomArrays.Gaussian(n * dim, 4);
        var embeddings = new float[n * dim];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i / per;
            for (int j = 0; j < dim; j++) embeddings[i * dim + j] = centres[labels[i] * dim + j] + 0.7f * noise[i * dim + j];
        }
        var data = new Dataset(new float[n], n, 1, 1, 1, labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), null, "toy");
        using var cpu = new CpuBackend();
        var result = EvaluationRunner.Run(embeddings, dim, data,
            new EvaluationGrid([5], [1], [dim, 2 * dim], [ToyHashFamilies.Axis, PlaneFamily.Gaussian], Episodes: 40, Queries: 3, Center: false)
            {
                Methods = [MatchMethod.HammingNearest],
            }, cpu);
        double Accuracy(string family, int planes) => result.Rows.Single(r => r.Hash == family && r.Planes == planes).Mean;
        Assert.Equal(Accuracy("toy-axis", dim), Accuracy("toy-axis", 2 * dim));
        Assert.NotEqual(Accuracy("toy-axis", dim), Accuracy("gaussian", dim));
    }
}
