using Lshk.App.Evaluation;
using Lshk.Cli.Evaluation;

namespace Lshk.Tests.Cli;

/// <summary>
/// Which points a line of <c>lshk eval --plot</c> has: a family evaluated at only some of the panel's lengths (the
/// trained layer's 64 bits beside ITQ at 16–256) keeps the points it has, at their own columns, instead of vanishing.
/// </summary>
public class EvaluationPlotTests
{
    private static EvaluationRow Row(string hash, int planes, string method, double mean) =>
        new(20, 1, hash, planes, method, mean, 0.002, 1000, 300, planes / 8, 0, 0, "support-mean");

    [Fact]
    public void AFamilyAtSomeLengthsKeepsThosePointsAtTheirColumns()
    {
        int[] planes = [16, 32, 64, 128];
        var rows = new List<EvaluationRow>
        {
            Row("itq", 16, "hamming", 0.75), Row("itq", 32, "hamming", 0.85), Row("itq", 64, "hamming", 0.90), Row("itq", 128, "hamming", 0.93),
            Row("learned", 64, "hamming", 0.915), Row("learned", 64, "asymmetric", 0.94),
            Row("pq", 32, "asymmetric", 0.90), Row("pq", 128, "asymmetric", 0.95),
        };

        var learned = EvaluationPlot.PointsOf(rows, planes, r => r.Hash == "learned" && r.Method == "hamming");
        var only = Assert.Single(learned);
        Assert.Equal(2, only.Column);                       // 64 bits is the third column
        Assert.Equal(0.915, only.Row.Mean);

        var pq = EvaluationPlot.PointsOf(rows, planes, r => r.Hash == "pq" && r.Method == "asymmetric");
        Assert.Equal([1, 3], pq.Select(p => p.Column));      // 32 and 128 bits, the gap at 64 left open
        Assert.Equal([0.90, 0.95], pq.Select(p => p.Row.Mean));

        var itq = EvaluationPlot.PointsOf(rows, planes, r => r.Hash == "itq" && r.Method == "hamming");
        Assert.Equal([0, 1, 2, 3], itq.Select(p => p.Column));

        Assert.Empty(EvaluationPlot.PointsOf(rows, planes, r => r.Hash == "gaussian"));
    }
}
