using System.CommandLine;
using System.Globalization;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk devices</c>: what lshk can compute on here, optionally with a checked test launch on each.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var check = new Option<bool>("--check")
        {
            Description = "Run a small hash, Hamming search (also one query over 100,000 codes), asymmetric search and cosine search on every device and compare them with the CPU backend",
        };
        var command = new Command("devices", "List the devices lshk can compute on (CPU, CUDA GPUs, ILGPU's CPU simulator)") { check };
        command.SetAction(parse =>
        {
            var console = Output.Console(parse);
            var table = new Table().AddColumns("backend", "name", "memory", "compute capability", "warp size", "processors");
            var devices = Devices.List();
            foreach (var d in devices)
                table.AddRow(d.Backend, Markup.Escape(d.Name), $"{d.MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB",
                    d.ComputeCapability ?? "-", d.WarpSize.ToString(), d.Processors.ToString());
            console.Write(table);
            if (!parse.GetValue(check)) return 0;

            bool allGood = true;
            foreach (var backendName in devices.Select(d => d.Backend).Distinct())
            {
                string verdict;
                try
                {
                    using var backend = Devices.Open(Devices.Parse(backendName));
                    verdict = SelfCheck(backend);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    verdict = $"FAILED: {App.OneLine(e)}";
                }
                allGood &= verdict.StartsWith("ok", StringComparison.Ordinal);
                console.WriteLine($"{backendName}: {verdict}");
            }
            return allGood ? 0 : 1;
        });
        return command;
    }

    /// <summary>Supports of the single-query scan: enough that a GPU cuts it into ranges and merges them.</summary>
    private const int SingleQuerySupports = 100_000;

    private static string Many => SingleQuerySupports.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Hashes, searches and compares with the CPU backend: "ok ..." or "FAILED: ...".</summary>
    private static string SelfCheck(IComputeBackend backend)
    {
        const int n = 3000, q = 40, d = 64, p = 100, k = 5;
        float[] support = RandomArrays.Gaussian(n * d, 77, 1), queries = RandomArrays.Gaussian(q * d, 77, 2);
        float[] planes = RandomArrays.Gaussian(p * d, 77, 3);
        using var cpu = new CpuBackend();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        uint[] codes = Hash(backend, support, n, planes), queryCodes = Hash(backend, queries, q, planes);
        if (!codes.AsSpan().SequenceEqual(Hash(cpu, support, n, planes))) return "FAILED: codes differ from the CPU backend";
        using var index = backend.CreateHammingIndex(codes, n, p);
        using var cpuIndex = cpu.CreateHammingIndex(codes, n, p);
        var got = index.Search(queryCodes, q, k);
        var want = cpuIndex.Search(queryCodes, q, k);
        if (!got.Indices.AsSpan().SequenceEqual(want.Indices) || !got.Scores.AsSpan().SequenceEqual(want.Scores))
            return "FAILED: Hamming top-k differs from the CPU backend";
        // One query over many codes: the scan a GPU splits over thousands of warps and merges (exact: same top-k).
        uint[] many = RandomArrays.Codes(SingleQuerySupports, p, 77, 4);
        using (var single = backend.CreateHammingIndex(many, SingleQuerySupports, p))
        using (var cpuSingle = cpu.CreateHammingIndex(many, SingleQuerySupports, p))
        {
            var one = single.Search(queryCodes.AsSpan(0, Check.Words(p)), 1, k);
            var reference = cpuSingle.Search(queryCodes.AsSpan(0, Check.Words(p)), 1, k);
            if (!one.Indices.AsSpan().SequenceEqual(reference.Indices) || !one.Scores.AsSpan().SequenceEqual(reference.Scores))
                return $"FAILED: a single-query Hamming top-k over {Many} codes differs from the CPU backend";
        }
        // The asymmetric score sums the same fixed-point integers on every backend: identical top-k.
        float[] projections = new float[q * p];
        backend.Project(queries, q, d, planes, default, p, projections);
        using (var asymmetric = backend.CreateAsymmetricIndex(codes, n, p))
        using (var cpuAsymmetric = cpu.CreateAsymmetricIndex(codes, n, p))
        {
            var a1 = asymmetric.Search(projections, q, k);
            var a2 = cpuAsymmetric.Search(projections, q, k);
            if (!a1.Indices.AsSpan().SequenceEqual(a2.Indices) || !a1.Scores.AsSpan().SequenceEqual(a2.Scores))
                return "FAILED: asymmetric top-k differs from the CPU backend";
        }
        using var cosine = backend.CreateCosineIndex(support, n, d);
        using var cpuCosine = cpu.CreateCosineIndex(support, n, d);
        var c1 = cosine.Search(queries, q, 1);
        var c2 = cpuCosine.Search(queries, q, 1);
        for (int i = 0; i < q; i++)
            if (Math.Abs(c1.Scores[i] - c2.Scores[i]) > 1e-5f * Math.Max(1f, Math.Abs(c2.Scores[i])))
                return $"FAILED: cosine score {c1.Scores[i]} differs from the CPU backend's {c2.Scores[i]}";
        return $"ok (codes, Hamming top-{k} (also one query over {Many} codes), asymmetric top-{k} and cosine top-1 match the CPU backend; {watch.Elapsed.TotalMilliseconds:F0} ms)";
    }

    private static uint[] Hash(IComputeBackend backend, float[] x, int n, float[] planes)
    {
        var codes = new uint[n * Check.Words(100)];
        backend.ProjectPack(x, n, 64, planes, default, 100, codes);
        return codes;
    }
}
