using Lshk.Kernels.Nn.Cpu;
using Xunit;

namespace Lshk.Tests.Nn;

/// <summary>
/// The CPU ops' worker pool: every item of every loop runs exactly once, on the worker its static range names, and
/// a loop has finished all its items when For returns — with loops back to back, items that sleep, pauses between
/// loops, more threads than cores and a failing item.
/// </summary>
public class WorkerPoolTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void EveryItemRunsOnceOnItsStaticWorkerAndIsDoneWhenForReturns(int workers)
    {
        using var pool = new WorkerPool(workers);
        var random = new Random(workers);
        for (int loop = 0; loop < 400; loop++)
        {
            int count = random.Next(1, 40);
            var runs = new int[count];
            var ranOn = new int[count];
            bool slow = loop % 7 == 0;
            pool.For(count, (item, worker) =>
            {
                if (slow && item % 3 == 0) Thread.Sleep(1); // items whose threads give up their core
                else Thread.SpinWait(50 * (item % 5));
                ranOn[item] = worker;
                Interlocked.Increment(ref runs[item]);
            });
            // read right after For: an item still running on a helper would show up as 0 here
            Assert.All(runs, r => Assert.Equal(1, r));
            int participants = Math.Min(workers, count);
            for (int i = 0; i < count; i++)
            {
                int expected = Enumerable.Range(0, participants).First(w => i < (long)count * (w + 1) / participants);
                Assert.Equal(expected, ranOn[i]);
            }
            if (loop % 50 == 49) Thread.Sleep(5); // a pause: the next loop finds its helpers asleep
        }
    }

    /// <summary>
    /// Loops whose helpers outlast the caller (its own item is quick) right after quick loops: For must return only
    /// once every helper is done. Busy threads beside the pool take the helpers' cores at arbitrary points.
    /// </summary>
    [Fact]
    public void SlowHelpersAfterQuickLoopsAreWaitedFor()
    {
        using var pool = new WorkerPool(4);
        bool stop = false;
        var hogs = Enumerable.Range(0, 2).Select(_ => new Thread(() => { while (!Volatile.Read(ref stop)) Thread.SpinWait(100); })).ToArray();
        foreach (var hog in hogs) hog.Start();
        try
        {
            for (int loop = 0; loop < 600; loop++)
            {
                pool.For(4, (_, _) => { });
                var done = new int[4];
                pool.For(4, (item, _) =>
                {
                    if (item > 0) Thread.Sleep(3); // worker 0 (the caller) is quick, the helpers are not
                    Volatile.Write(ref done[item], 1);
                });
                Assert.Equal([1, 1, 1, 1], done);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            foreach (var hog in hogs) hog.Join();
        }
    }

    [Fact]
    public void AFailingItemIsRethrownAndThePoolKeepsWorking()
    {
        using var pool = new WorkerPool(2);
        var error = Assert.Throws<InvalidOperationException>(() =>
            pool.For(10, (item, _) => { if (item == 7) throw new InvalidOperationException("item 7"); }));
        Assert.Equal("item 7", error.Message);
        int sum = 0;
        pool.For(10, (item, _) => Interlocked.Add(ref sum, item));
        Assert.Equal(45, sum);
    }
}
