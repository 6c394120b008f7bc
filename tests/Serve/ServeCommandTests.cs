using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary><c>lshk serve</c>'s options: bad values end in one line and the usage or input exit code, before anything listens.</summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--reject", "lots", "--reject must be a number of bits or auto (got 'lots')")]
    [InlineData("--port", "70000", "--port must be from 0 to 65535 (got 70000)")]
    [InlineData("--host", "example.org", "--host must be an IP address (got 'example.org')")]
    public void ABadOptionIsAUsageError(string option, string value, string expected)
    {
        var (code, _, err) = CliRunner.Run("serve", "--model", "m.safetensors", "--index", "i.lshi", option, value);
        Assert.Equal(2, code);
        Assert.Equal($"lshk: error: {expected}", err.Trim());
    }

    [Fact]
    public void AMissingModelIsAnInputError()
    {
        using var dir = new TempFolder();
        var (code, _, err) = CliRunner.Run("serve", "--model", dir.File("none.safetensors"), "--index", dir.File("i.lshi"), "--port", "0", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.StartsWith("lshk: error: ", err);
        Assert.Contains("none.safetensors: model file not found", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void ASupportFolderBesideAnExistingIndexIsRefused()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        File.WriteAllBytes(dir.File("i.lshi"), [1, 2, 3]);
        var (code, _, err) = CliRunner.Run("serve", "--model", model, "--index", dir.File("i.lshi"), "--support", dir.Path, "--port", "0", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("i.lshi: exists already; a support folder is enrolled only into a new index", err);
    }

    [Fact]
    public async Task APortInUseIsAnInputError()
    {
        await using var serve = await ServeFixture.StartAsync();
        int port = serve.Server.Address.Port;
        var (code, _, err) = CliRunner.Run("serve", "--model", serve.ModelPath, "--index", serve.Folder.File("other.lshi"), "--port", $"{port}", "--device", "cpu");
        Assert.Equal(1, code);
        // Start-up status lines come first; the error is the one last line.
        string last = err.TrimEnd().Split('\n')[^1];
        Assert.StartsWith($"lshk: error: 127.0.0.1:{port}: cannot listen (", last);
        Assert.Single(err.Split('\n'), line => line.StartsWith("lshk: error", StringComparison.Ordinal));
    }
}
