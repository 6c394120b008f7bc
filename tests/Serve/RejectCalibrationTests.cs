using System.Numerics;
using System.Text.Json;
using Lshk.App.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Serve;
using Lshk.Tests.Cli;
using Lshk.Tests.Data;

namespace Lshk.Tests.Serve;

/// <summary>
/// The default open-set thresholds, one per match method, calibrated on the model's training classes (Omniglot
/// background alphabets) with the planes of the index being served.
/// </summary>
public sealed class RejectCalibrationTests
{
    private const int Classes = 60;
    private const int ServedBits = 64;

    [Fact]
    public void EachThresholdIsTheNearestRank5thPercentileOfIndependentlyScoredKnownQueries()
    {
        using var dir = new Lshk.Tests.Cli.TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var data = DataFiles.OmniglotBackgroundSet;
        var served = ServedIndex(backend, embedder, dir.File("served"));

        var calibration = RejectCalibration.Calibrate(backend, embedder, data, served, Classes, seed: 4);
        Assert.Equal(Classes, calibration.Classes);
        Assert.Equal(RejectCalibration.Methods, calibration.Thresholds.Select(t => t.Method));
        Assert.Contains($"{ServedBits} gaussian planes", calibration.Hashing);

        // The rows: k supports, their classes' second drawings, and one drawing of each of k other classes.
        int[] rows = RejectCalibration.Rows(data, Classes, seed: 4);
        int k = Classes;
        for (int c = 0; c < k; c++) Assert.Equal(data.Labels[rows[c]], data.Labels[rows[k + c]]);
        var enrolledClasses = rows[..k].Select(r => data.Labels[r]).ToHashSet();
        Assert.Equal(k, enrolledClasses.Count);
        Assert.DoesNotContain(rows[(2 * k)..], r => enrolledClasses.Contains(data.Labels[r]));

        // Independent scores: float64 cosine and projections, popcount of the served hasher's own codes.
        var pixels = new float[rows.Length * data.ImageLength];
        for (int r = 0; r < rows.Length; r++) data.Image(rows[r]).CopyTo(pixels.AsSpan(r * data.ImageLength));
        embedder.Preprocessing.Normalise(pixels);
        float[] x = embedder.Embed(pixels, rows.Length);
        int d = embedder.Dim;
        uint[] codes = served.Hasher.Hash(backend, x, rows.Length);
        int words = served.Words;
        double[] projections = Projections(served.Hasher, x, rows.Length);

        double Hamming(int q, int s)
        {
            int agree = 0;
            for (int w = 0; w < words; w++) agree += BitOperations.PopCount(~(codes[q * words + w] ^ codes[s * words + w]));
            return agree - (words * 32 - ServedBits); // the padding bits of the last word agree
        }
        double Asymmetric(int q, int s)
        {
            double score = 0, norm = 0;
            for (int i = 0; i < ServedBits; i++)
            {
                score += projections[q * ServedBits + i] * (((codes[s * words + i / 32] >> (i % 32)) & 1) != 0 ? 1 : -1);
                norm += Math.Abs(projections[q * ServedBits + i]);
            }
            return score / norm;
        }
        double Cosine(int q, int s)
        {
            double dot = 0, qq = 0, ss = 0;
            for (int j = 0; j < d; j++)
            {
                dot += (double)x[q * d + j] * x[s * d + j];
                qq += (double)x[q * d + j] * x[q * d + j];
                ss += (double)x[s * d + j] * x[s * d + j];
            }
            return dot / Math.Sqrt(qq * ss);
        }
        var scorers = new Dictionary<MatchMethod, Func<int, int, double>>
        {
            [MatchMethod.HammingNearest] = Hamming, [MatchMethod.Asymmetric] = Asymmetric, [MatchMethod.CosineNearest] = Cosine,
        };
        foreach (var threshold in calibration.Thresholds)
        {
            var score = scorers[threshold.Method];
            double[] best = Enumerable.Range(k, 2 * k).Select(q => Enumerable.Range(0, k).Max(s => score(q, s))).ToArray();
            double[] known = best[..k].Order().ToArray();
            double expected = known[3]; // nearest rank: the 4th lowest of 60, so at most 3 (5 %) fall below it
            Assert.Equal(expected, threshold.Threshold, Math.Abs(expected) * 1e-5 + 1e-9);
            double tolerance = Math.Abs(expected) * 1e-5 + 1e-9; // float32 scores against float64 ones
            Assert.Equal(known.Count(s => s >= threshold.Threshold - tolerance) / (double)k, threshold.KnownAccepted, 1e-9);
            Assert.InRange(threshold.KnownAccepted, 1 - 3.0 / Classes, 1);
        }
        // Counted in the served index's 64 bits, not in the 256 of a new index's default planes.
        Assert.InRange(calibration.For(MatchMethod.HammingNearest)!.Value, 0, ServedBits);
        Assert.InRange(calibration.For(MatchMethod.Asymmetric)!.Value, -1, 1);
        Assert.Equal(calibration, RejectCalibration.Calibrate(backend, embedder, data, served, Classes, seed: 4), CalibrationComparer.Instance);
    }

    [Fact]
    public async Task AServerWithoutAGivenThresholdCalibratesOnePerMethodAndSaysHow()
    {
        await using var serve = await ServeFixture.StartAsync(s => s with { CalibrationData = _ => DataFiles.OmniglotBackgroundSet });
        Assert.Equal(RejectCalibration.Methods, serve.Server.Rejects.Select(r => r.Method));
        Assert.StartsWith($"calibrated on {RejectCalibration.DefaultClasses} training classes with a new index's {HashingChoice.DefaultPlanes} gaussian planes",
            serve.Server.RejectSource);
        Assert.InRange(serve.Server.RejectFor(MatchMethod.HammingNearest)!.Value, 0, HashingChoice.DefaultPlanes);
    }

    [Theory]
    [InlineData("hamming")]
    [InlineData("asymmetric")]
    [InlineData("cosine")]
    public async Task AServedShortCodeIndexIsCalibratedInItsOwnUnitsSoAnEnrolledDrawingIsAccepted(string method)
    {
        // Before the thresholds followed the served planes, a 64-bit index got a threshold in bits of 256 planes,
        // above any score it can give: every image was turned away.
        await using var serve = await ServeFixture.StartAsync(s =>
        {
            using var backend = new CpuBackend();
            using var embedder = Embedder.Load(s.ModelPath, backend);
            var index = new HashingChoice(ServedBits, PlaneFamily.Gaussian, HashingChoice.DefaultSeed, Center: true)
                .Enrol(backend, embedder, Path.Combine(Path.GetDirectoryName(s.IndexPath)!, "images"));
            IndexStore.Save(s.IndexPath, index);
            return s with { CalibrationData = _ => DataFiles.OmniglotBackgroundSet };
        });
        Assert.Equal(ServedBits, serve.Server.Index!.Bits);
        Assert.InRange(serve.Server.RejectFor(MatchMethod.HammingNearest)!.Value, 1, ServedBits);
        string enrolled = serve.Drawings(serve.Classes[2])[0];
        using var form = ServeFixture.Multipart(enrolled);
        form.Add(new StringContent(method), "method");
        var results = await ServeFixture.Json(await serve.PostAsync("/v1/classify", form));
        // The images folder holds alphabet/character/drawing, so the enrolled classes are the alphabets.
        Assert.Equal(serve.Classes[2].Split('/')[0], results[0].GetProperty("class").GetString());
        Assert.Equal(JsonValueKind.Array, results[0].GetProperty("top").ValueKind);
    }

    /// <summary>An index of the evaluation images in <paramref name="folder"/>, hashed with 64 Gaussian planes centred on them.</summary>
    private static SupportIndex ServedIndex(CpuBackend backend, Embedder embedder, string folder)
    {
        ClassifyTestModels.ExtractEvaluation(folder, 3, 2);
        return new HashingChoice(ServedBits, PlaneFamily.Gaussian, HashingChoice.DefaultSeed, Center: true).Enrol(backend, embedder, folder);
    }

    /// <summary>P real projections per row in float64: nᵢ·x + the hasher's offsets (its centre folded in).</summary>
    private static double[] Projections(LshHasher hasher, float[] x, int n)
    {
        var planes = hasher.Planes;
        var offsets = hasher.Center is { } c ? planes.OffsetsCenteredAt(c) : planes.Offsets ?? new float[planes.Count];
        var result = new double[n * planes.Count];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < planes.Count; i++)
            {
                double p = offsets[i];
                for (int j = 0; j < planes.Dim; j++) p += (double)planes.Normals[i * planes.Dim + j] * x[r * planes.Dim + j];
                result[r * planes.Count + i] = p;
            }
        return result;
    }

    private sealed class CalibrationComparer : IEqualityComparer<RejectCalibration>
    {
        public static readonly CalibrationComparer Instance = new();

        public bool Equals(RejectCalibration? a, RejectCalibration? b) =>
            a is not null && b is not null && a.Classes == b.Classes && a.Hashing == b.Hashing && a.Thresholds.SequenceEqual(b.Thresholds);

        public int GetHashCode(RejectCalibration c) => c.Classes;
    }
}
