using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Lshk.Data;
using Lshk.Data.Npy;
using Lshk.Kernels;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk search</c>: top-k search of query rows against support rows, both .npy: uint8 packed codes are searched
/// by Hamming distance (scores = XNOR counts), float embeddings by cosine similarity.
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var support = new Option<string>("--support") { Description = "Support rows (.npy): N×B uint8 codes or N×D float32 embeddings", Required = true };
        var query = new Option<string>("--query") { Description = "Query rows (.npy), same kind and width as the support", Required = true };
        var k = new Option<int>("--k") { Description = "Neighbours per query", DefaultValueFactory = _ => 1 };
        var bits = new Option<int?>("--bits") { Description = "Bits per code when not a multiple of 8 (default: 8 × columns)" };
        var output = new Option<string>("--out") { Description = "Output .npy: Q×k int64 support indices, best first (-1 where N < k)", Required = true };
        var scores = new Option<string?>("--scores") { Description = "Output .npy of the scores: int32 XNOR counts, or float32 cosine" };
        var stats = new Option<string?>("--stats") { Description = "Write timings (build, search) as JSON to this file" };
        var repeat = new Option<int>("--repeat") { Description = "Run the search this many times; --stats reports the fastest", DefaultValueFactory = _ => 1 };
        var device = CommonOptions.Device();
        var command = new Command("search", "Top-k search: Hamming on uint8 codes, cosine on float embeddings (.npy in, .npy out)")
        {
            support, query, k, bits, output, scores, stats, repeat, device,
        };
        command.SetAction(parse =>
        {
            string sPath = parse.GetValue(support)!, qPath = parse.GetValue(query)!;
            int topK = parse.GetValue(k), reps = parse.GetValue(repeat);
            UsageException.RequirePositive(topK, "--k");
            UsageException.RequirePositive(reps, "--repeat");
            var sArray = NpyFile.Read(sPath);
            var qArray = NpyFile.Read(qPath);
            using var backend = CommonOptions.OpenDevice(parse, device);
            Result result = sArray.DType == NpyDType.UInt8
                ? Hamming(backend, sPath, sArray, qPath, qArray, parse.GetValue(bits), topK, reps)
                : Cosine(backend, sPath, sArray, qPath, qArray, topK, reps);

            var indices = Array.ConvertAll(result.Indices, i => (long)i);
            NpyFile.WriteInt64(parse.GetValue(output)!, indices, result.Queries, topK);
            string? scorePath = parse.GetValue(scores);
            if (scorePath is not null)
            {
                if (result.Counts is not null) NpyFile.WriteInt32(scorePath, result.Counts, result.Queries, topK);
                else NpyFile.WriteFloat32(scorePath, result.Cosines!, result.Queries, topK);
            }
            string? statsPath = parse.GetValue(stats);
            if (statsPath is not null)
            {
                var doc = new Dictionary<string, object>
                {
                    ["method"] = result.Method, ["device"] = backend.Device.Name, ["n"] = result.Supports,
                    ["queries"] = result.Queries, ["k"] = topK, ["width"] = result.Width,
                    ["build_seconds"] = result.BuildSeconds, ["search_seconds"] = result.SearchSeconds, ["repeats"] = reps,
                };
                AtomicFile.WriteAllText(statsPath, JsonSerializer.Serialize(doc, JsonOptions.Indented));
            }
            return 0;
        });
        return command;
    }

    private sealed record Result(string Method, int Supports, int Queries, int Width, int[] Indices, int[]? Counts,
        float[]? Cosines, double BuildSeconds, double SearchSeconds);

    private static Result Hamming(IComputeBackend backend, string sPath, NpyArray sArray, string qPath, NpyArray qArray,
        int? bitsOption, int k, int reps)
    {
        if (qArray.DType != NpyDType.UInt8)
            throw new InvalidDataException($"{qPath}: the support ({sPath}) holds uint8 codes, but the queries are {qArray.DType.TypeName()}");
        var (n, cols) = NpyInputs.Matrix(sPath, sArray);
        var (q, qCols) = NpyInputs.Matrix(qPath, qArray);
        if (qCols != cols)
            throw new InvalidDataException($"{qPath}: queries have {qCols} bytes per code but the support ({sPath}) has {cols}");
        int bits = bitsOption ?? cols * 8;
        if (bits < 1 || (bits + 7) / 8 != cols)
            throw new UsageException($"--bits {bits} does not fit codes of {cols} bytes");
        uint[] s = NpyInputs.BytesToWords(sArray.AsUInt8(), n, cols);
        uint[] qs = NpyInputs.BytesToWords(qArray.AsUInt8(), q, cols);
        CheckUnusedBits(sPath, s, n, bits);
        CheckUnusedBits(qPath, qs, q, bits);

        var watch = Stopwatch.StartNew();
        using var index = backend.CreateHammingIndex(s, n, bits);
        double build = watch.Elapsed.TotalSeconds;
        TopK<int>? top = null;
        double best = Timing.Best(() => top = index.Search(qs, q, k), reps);
        return new Result("hamming", n, q, bits, top!.Indices, top.Scores, null, build, best);
    }

    private static Result Cosine(IComputeBackend backend, string sPath, NpyArray sArray, string qPath, NpyArray qArray, int k, int reps)
    {
        var (s, n, d) = NpyInputs.FloatMatrix(sPath, sArray);
        if (qArray.DType == NpyDType.UInt8)
            throw new InvalidDataException($"{qPath}: the support ({sPath}) holds float embeddings, but the queries are uint8 codes");
        var (qs, q, qd) = NpyInputs.FloatMatrix(qPath, qArray);
        if (qd != d)
            throw new InvalidDataException($"{qPath}: queries have dimension {qd} but the support ({sPath}) has {d}");
        var watch = Stopwatch.StartNew();
        using var index = backend.CreateCosineIndex(s, n, d);
        double build = watch.Elapsed.TotalSeconds;
        TopK<float>? top = null;
        double best = Timing.Best(() => top = index.Search(qs, q, k), reps);
        return new Result("cosine", n, q, d, top!.Indices, null, top.Scores, build, best);
    }

    private static void CheckUnusedBits(string path, uint[] codes, int rows, int bits)
    {
        int words = Check.Words(bits);
        if (bits % 32 == 0) return;
        uint unused = ~((1u << (bits % 32)) - 1);
        for (int r = 0; r < rows; r++)
            if ((codes[(long)r * words + words - 1] & unused) != 0)
                throw new InvalidDataException($"{path}: row {r} has bits set beyond bit {bits - 1} (--bits {bits})");
    }
}
