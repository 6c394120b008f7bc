using Lshk.Data;

namespace Lshk.Tests.Data;

public class ClassSplitTests
{
    [Fact]
    public void SeededSplitIsDisjointSizedAndReproducible()
    {
        var a = ClassSplit.Seeded(100, 64, 16, 20, seed: 7);
        Assert.Equal((64, 16, 20), (a.Train.Length, a.Validation.Length, a.Test.Length));
        Assert.Equal(Enumerable.Range(0, 100), a.Train.Concat(a.Validation).Concat(a.Test).Order());
        Assert.Equal(a.Train.Order(), a.Train);
        var again = ClassSplit.Seeded(100, 64, 16, 20, seed: 7);
        Assert.Equal(a.Train, again.Train);
        Assert.Equal(a.Test, again.Test);
        Assert.NotEqual(a.Test, ClassSplit.Seeded(100, 64, 16, 20, seed: 8).Test);
    }

    [Fact]
    public void SeededSplitPicksEachClassEquallyOften()
    {
        // Over many seeds each class lands in the 5-class test part with probability 5/10.
        var counts = new int[10];
        for (ulong seed = 0; seed < 2000; seed++)
            foreach (int c in ClassSplit.Seeded(10, 5, 0, 5, seed).Test) counts[c]++;
        Assert.All(counts, n => Assert.InRange(n, 900, 1100));   // mean 1000, sd ≈ 22
    }

    [Fact]
    public void ParseReadsRangesCountsAndAll()
    {
        var mnist = ClassSplit.Parse("0-4/5-9", 10, 1);
        Assert.Equal([0, 1, 2, 3, 4], mnist.Train);
        Assert.Equal([5, 6, 7, 8, 9], mnist.Test);
        Assert.Empty(mnist.Validation);
        Assert.Equal(Enumerable.Range(0, 10), ClassSplit.Parse("all", 10, 1).Test);
        Assert.Empty(ClassSplit.Parse("all", 10, 1).Train);
        Assert.Equal(ClassSplit.Seeded(20, 10, 5, 5, 3).Test, ClassSplit.Parse("10/5/5", 20, 3).Test);
        Assert.Throws<Lshk.Core.InputException>(() => ClassSplit.Parse("0-4/3-9", 10, 1));
        Assert.Throws<Lshk.Core.InputException>(() => ClassSplit.Parse("0-4/5-10", 10, 1));
        Assert.Throws<Lshk.Core.InputException>(() => ClassSplit.Parse("60/20/30", 100, 1));
        Assert.Contains("unknown class split", Assert.Throws<Lshk.Core.InputException>(() => ClassSplit.Parse("half", 10, 1)).Message);
    }

    [Fact]
    public void HoldOutMovesTrainingClassesToValidation()
    {
        var split = ClassSplit.Parse("0-4/5-9", 10, 1).HoldOut(2, seed: 3);
        Assert.Equal(3, split.Train.Length);
        Assert.Equal(2, split.Validation.Length);
        Assert.All(split.Validation, c => Assert.InRange(c, 0, 4));
        Assert.Empty(split.Train.Intersect(split.Validation));
        Assert.Equal(split.Validation, ClassSplit.Parse("0-4/5-9", 10, 1).HoldOut(2, seed: 3).Validation);
        Assert.Throws<Lshk.Core.InputException>(() => ClassSplit.Parse("0-4/5-9", 10, 1).HoldOut(5, 1));
    }
}
