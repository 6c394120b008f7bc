using System.Text.Json;

namespace Lshk.Tests.Cli;

/// <summary><c>lshk classify --reject X</c>: an image whose best score is below X answers no class, with its top list.</summary>
public sealed class ClassifyRejectTests
{
    private const int Bits = 256;

    [Fact]
    public void AnImageOfAClassThatIsNotEnrolledIsRejectedAndAnEnrolledOneIsNot()
    {
        using var dir = new TempFolder();
        var enrolled = ClassifyTestModels.ExtractEvaluation(dir.File("support"), characters: 3, drawings: 1);
        // The first characters share an alphabet, whose folder holds one subfolder per character: the classes.
        string support = Path.Combine(dir.File("support"), enrolled[0].Split('/')[0]);
        var unknown = ClassifyTestModels.ExtractEvaluation(dir.File("unknown"), characters: 1, drawings: 1, skipCharacters: 3);
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", dir.File("i.lshi"), "--device", "cpu").Code);
        string known = Directory.GetFiles(support, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        string stranger = Directory.GetFiles(Path.Combine(dir.File("unknown"), unknown[0])).Single();

        // An enrolled drawing matches itself in all 256 bits; a drawing of another character cannot match every bit of any
        // enrolled one, so a threshold of 256 bits accepts exactly the first.
        var (code, stdout, _) = CliRunner.Run("classify", "--model", model, "--index", dir.File("i.lshi"), known, stranger,
            "--json", "--reject", $"{Bits}", "--device", "cpu");
        Assert.Equal(0, code);
        var results = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(JsonValueKind.String, results[0].GetProperty("class").ValueKind);
        Assert.Equal(Bits, results[0].GetProperty("top")[0].GetProperty("score").GetInt32());
        Assert.Equal(JsonValueKind.Null, results[1].GetProperty("class").ValueKind);
        Assert.Equal(3, results[1].GetProperty("top").GetArrayLength());
        Assert.InRange(results[1].GetProperty("top")[0].GetProperty("score").GetInt32(), 0, Bits - 1);

        // Text output: "-" for the class of a rejected image; without --reject every image gets its best class.
        var text = CliRunner.Run("classify", "--model", model, "--index", dir.File("i.lshi"), stranger, "--reject", $"{Bits}", "--device", "cpu").Out;
        Assert.Equal("-", text.Split('\t')[1]);
        var open = CliRunner.Run("classify", "--model", model, "--index", dir.File("i.lshi"), stranger, "--json", "--device", "cpu").Out;
        Assert.Equal(results[1].GetProperty("top")[0].GetProperty("class").GetString(), JsonDocument.Parse(open).RootElement[0].GetProperty("class").GetString());
    }
}
