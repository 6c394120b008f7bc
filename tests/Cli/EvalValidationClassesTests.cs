using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk eval --classes validation</c> scores a model on the training classes it held out for validation (their
/// count and seed from its file), and fits planes to the classes it trained on, without those: settings such as
/// --views can then be chosen without looking at the test classes.
/// </summary>
public sealed class EvalValidationClassesTests
{
    private static readonly string Omniglot = "omniglot:" + DataFiles.OmniglotFolder;
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-validation-classes-tests-cache");

    /// <summary>Omniglot's background characters (the official split's training classes) and evaluation characters.</summary>
    private const int BackgroundCharacters = 964, EvaluationCharacters = 659;

    private const int HeldOut = 7;

    private static string Train(TempFolder dir, string name, int validationClasses)
    {
        string model = dir.File(name);
        var run = CliRunner.Run("train", "--data", Omniglot, "--cache-dir", Cache, "--ways", "5", "--shots", "1", "--queries", "2",
            "--layers", "2", "--filters", "8", "--episodes", "2", "--hash-bits", "0", "--validation-classes", $"{validationClasses}",
            "--validate-every", "0", "--summary-episodes", "0", "--checkpoint-every", "0", "--out", model);
        Assert.True(run.Code == 0, run.Err);
        return model;
    }

    private static string[] Eval(string model, params string[] more) =>
    [
        "eval", "--model", model, "--data", Omniglot, "--cache-dir", Cache, "--ways", "5", "--shots", "1", "--episodes", "3",
        "--queries", "2", "--planes", "16", "--hash", "itq", "--methods", "cosine,hamming", "--device", "cpu", .. more,
    ];

    private static string Column(string csv, string name)
    {
        var lines = File.ReadAllLines(csv);
        int column = Array.IndexOf(lines[0].Split(','), name);
        Assert.True(column >= 0, $"no column {name}");
        return Assert.Single(lines.Skip(1).Select(l => l.Split(',')[column]).Distinct());
    }

    [Fact]
    public void TheHeldOutClassesAreScoredAndThePlanesFitToTheRest()
    {
        using var dir = new TempFolder();
        string model = Train(dir, "held-out.safetensors", HeldOut);

        var validation = CliRunner.Run(Eval(model, "--classes", "validation", "--csv", dir.File("validation.csv")));
        Assert.True(validation.Code == 0, validation.Err);
        Assert.Contains($"images of {HeldOut} classes", validation.Err);
        Assert.Contains($"training images of {BackgroundCharacters - HeldOut} classes", validation.Err);
        Assert.Equal("validation", Column(dir.File("validation.csv"), "classes"));

        // By default the test classes, and planes fitted to every background character.
        var test = CliRunner.Run(Eval(model, "--csv", dir.File("test.csv")));
        Assert.True(test.Code == 0, test.Err);
        Assert.Contains($"images of {EvaluationCharacters} classes", test.Err);
        Assert.Contains($"training images of {BackgroundCharacters} classes", test.Err);
        Assert.Equal("test", Column(dir.File("test.csv"), "classes"));
    }

    [Fact]
    public void AModelThatHeldOutNothingIsRefusedInOneLine()
    {
        using var dir = new TempFolder();
        string model = Train(dir, "all-classes.safetensors", 0);
        var run = CliRunner.Run(Eval(model, "--classes", "validation"));
        Assert.NotEqual(0, run.Code);
        string error = Assert.Single(run.Err.Trim().Split('\n'));
        Assert.Contains(model, error);
        Assert.Contains("held out no validation classes", error);

        var bad = CliRunner.Run(Eval(model, "--classes", "train"));
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("--classes must be test or validation, not 'train'", Assert.Single(bad.Err.Trim().Split('\n')));
    }
}
