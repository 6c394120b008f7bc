using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// Outputs recorded from a fixed-seed run guard against unintended changes: a short training run's model file (byte for
/// byte, through its SHA-256) and <c>lshk eval --csv</c> on that model (without the two timing columns). The CPU kernels
/// are bit-deterministic for a fixed thread count on one instruction set, but AVX-512 and AVX2 sum floats in lanes of
/// different widths, so the records live under <c>tests/Recorded/&lt;instruction set&gt;</c>. Work that changes outputs
/// on purpose rewrites them in the same commit: run this test with <c>LSHK_RECORD=1</c>.
/// </summary>
public class RecordedOutputTests
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-recorded-tests-cache");
    private const string DataPlaceholder = "$OMNIGLOT";

    /// <summary>The instruction set whose records apply on this machine.</summary>
    private static string InstructionSet => Vector512.IsHardwareAccelerated ? "avx512" : Avx2.IsSupported ? "avx2" : "scalar";

    private static string RecordFolder([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "..", "Recorded", InstructionSet);

    private static bool Recording => Environment.GetEnvironmentVariable("LSHK_RECORD") == "1";

    [Fact]
    public void TrainingAndEvaluationGiveTheRecordedOutputs()
    {
        using var dir = new TempFolder();
        string omniglot = DataFiles.OmniglotFolder;
        string model = dir.File("model.safetensors");
        var train = CliRunner.Run("train", "--data", "omniglot:" + omniglot, "--cache-dir", Cache, "--ways", "5", "--shots", "2",
            "--queries", "3", "--layers", "2", "--filters", "8", "--dropout", "0.1", "--hash-bits", "0", "--lr-schedule", "step:2000:0.5", "--augment", "none", "--final-pool", "on",
            "--episodes", "30", "--validate-every", "10", "--validation-episodes", "20", "--summary-episodes", "0", "--checkpoint-every", "0", "--threads", "2", "--seed", "7",
            "--device", "cpu", "--out", model);
        Assert.True(train.Code == 0, train.Err);
        string modelHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model)));

        string csv = dir.File("eval.csv");
        var eval = CliRunner.Run("eval", "--model", model, "--data", "omniglot:" + omniglot, "--cache-dir", Cache, "--episodes", "20",
            "--queries", "3", "--seed", "5", "--device", "cpu", "--threads", "2", "--csv", csv);
        Assert.True(eval.Code == 0, eval.Err);
        string table = WithoutTimes(File.ReadAllText(csv)).Replace(omniglot, DataPlaceholder);

        string folder = RecordFolder();
        string hashFile = Path.Combine(folder, "train-model.sha256"), csvFile = Path.Combine(folder, "eval.csv");
        if (Recording)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(hashFile, modelHash + "\n");
            File.WriteAllText(csvFile, table);
            return;
        }
        Assert.True(File.Exists(hashFile), $"no outputs are recorded for {InstructionSet} machines in {folder}: record them with LSHK_RECORD=1 " +
                                           "from a build before the change under test");
        Assert.Equal(File.ReadAllText(hashFile).Trim(), modelHash);
        Assert.Equal(File.ReadAllText(csvFile), table);
    }

    /// <summary>The CSV without its last two columns (hash_ms_per_episode, match_ms_per_episode: times vary from run to run).</summary>
    private static string WithoutTimes(string csv) =>
        string.Concat(csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(",", l.Split(',')[..^2]) + "\n"));
}
