using Lshk.App.Training;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk plot-log</c> and <see cref="TrainCurve"/>: logs written by the training's own <see cref="TrainLog"/> read
/// back to the values written, plotted, and a file that is no validated log refused with one line.
/// </summary>
public class PlotLogCommandTests
{
    private static readonly string[] Tasks = ["5-way 1-shot", "20-way 1-shot"];

    private static string WriteLog(TempFolder dir, string name, params (long Episode, double Seconds, double[]? Validation)[] rows)
    {
        string path = dir.File(name);
        using var log = new TrainLog(path, Tasks, resumeEpisode: 0);
        foreach (var (episode, seconds, validation) in rows)
            log.Write(new IntervalStats(episode, seconds, 1e-3f, 0.5, 0.9, 400, validation));
        return path;
    }

    [Fact]
    public void ReadsBackTheValidatedIntervalsOfALog()
    {
        using var dir = new TempFolder();
        string path = WriteLog(dir, "a.csv", (100, 60, null), (200, 121.5, [0.9625, 0.875]), (300, 180, null), (400, 250.25, [0.975, 0.9]));
        var curve = TrainCurve.Read(path);
        Assert.Equal(Tasks, curve.Tasks);
        Assert.Equal([200L, 400L], curve.Points.Select(p => p.Episode));
        Assert.Equal([121.5, 250.25], curve.Points.Select(p => p.Seconds));
        Assert.Equal([0.9625, 0.875], curve.Points[0].Accuracy);
        Assert.Equal([0.975, 0.9], curve.Points[1].Accuracy);
    }

    [Fact]
    public void PlotsSeveralRunsAndSaysWhereEachEnded()
    {
        using var dir = new TempFolder();
        string old = WriteLog(dir, "old.csv", (500, 300, [0.96, 0.90]), (1000, 600, [0.97, 0.93]));
        string next = WriteLog(dir, "new.csv", (500, 330, [0.97, 0.935]), (1000, 660, [0.98, 0.95]));
        string png = dir.File("curves.png");
        var run = CliRunner.Run("plot-log", old, next, "--names", "old default,hash-aware", "--out", png);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("old default: 2 validations, the last at episode 1000 (10.0 min): 5-way 1-shot 97.0 %, 20-way 1-shot 93.0 %", run.Err);
        Assert.Contains("hash-aware: 2 validations, the last at episode 1000 (11.0 min): 5-way 1-shot 98.0 %, 20-way 1-shot 95.0 %", run.Err);
        byte[] bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 10_000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    public void ALogThatWasNeverValidatedIsOneLineAndNoPlot()
    {
        using var dir = new TempFolder();
        string path = dir.File("plain.csv");
        File.WriteAllText(path, "episode,seconds,lr,loss,train_accuracy,images_per_second\n100,60,0.001,0.5,0.9,400\n");
        var run = CliRunner.Run("plot-log", path, "--out", dir.File("x.png"));
        Assert.Equal(1, run.Code);
        Assert.Equal($"lshk: error: {path}: the run was never validated (its header has no val_ columns)", run.Err.Trim());
        Assert.False(File.Exists(dir.File("x.png")));

        File.WriteAllText(path, "episode,seconds,val_5way_1shot\n100,60,0.9\n200,oops,0.95\n");
        run = CliRunner.Run("plot-log", path, "--out", dir.File("x.png"));
        Assert.Equal(1, run.Code);
        Assert.Equal($"lshk: error: {path}: line 3: seconds 'oops' is not a number", run.Err.Trim());
    }
}
