using System.Text.Json;

namespace Lshk.Tests.Cli;

/// <summary><c>lshk bench match</c> at a small size: a row per method, asymmetric next to Hamming.</summary>
public class BenchMatchCommandTests
{
    [Fact]
    public void ReportsAsymmetricNextToHamming()
    {
        using var dir = new TempFolder();
        string json = dir.File("match.json");
        var (code, output, error) = CliRunner.Run("bench", "match", "--device", "cpu", "--n", "300", "--planes", "64",
            "--queries", "20", "--k", "3", "--repeat", "1", "--memory-bandwidth", "false", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("asymmetric", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var methods = doc.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => (Method: r.GetProperty("method").GetString(), Speed: r.GetProperty("comparisonsPerSecond").GetDouble()))
            .ToArray();
        Assert.Equal(["hamming", "asymmetric", "cosine"], methods.Select(m => m.Method));
        Assert.All(methods, m => Assert.True(m.Speed > 0));

        (code, output, error) = CliRunner.Run("bench", "match", "--device", "cpu", "--n", "100", "--planes", "32",
            "--queries", "5", "--repeat", "1", "--memory-bandwidth", "false", "--no-asymmetric", "--no-cosine");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("asymmetric", output);
    }

    [Fact]
    public void ProductCodesAddARowPerLengthThatSplitsTheDimension()
    {
        using var dir = new TempFolder();
        string json = dir.File("match.json");
        // 64 bits = 8 subspaces of the 64-d default; 40 bits = 5 subspaces, which do not split 64 dimensions: no pq row
        var (code, _, error) = CliRunner.Run("bench", "match", "--device", "cpu", "--n", "300", "--planes", "64,40",
            "--queries", "10", "--repeat", "1", "--memory-bandwidth", "false", "--no-cosine", "--no-asymmetric",
            "--product-codes", "--json", json);
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => (Method: r.GetProperty("method").GetString(), Planes: r.GetProperty("planes").GetInt32(),
                Bytes: r.GetProperty("bytesPerItem").GetInt32()))
            .ToArray();
        Assert.Equal([("hamming", 64, 8), ("pq", 64, 8), ("hamming", 40, 8)], rows);
    }
}
