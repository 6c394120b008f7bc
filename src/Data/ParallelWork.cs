using System.Collections.Concurrent;

namespace Lshk.Data;

/// <summary>Parallel loops whose failures surface as the plain exception of the lowest failing index.</summary>
internal static class ParallelWork
{
    public static void For(int count, Action<int> body)
    {
        var failures = new ConcurrentDictionary<int, Exception>();
        Parallel.For(0, count, (i, state) =>
        {
            if (state.ShouldExitCurrentIteration) return;
            try { body(i); }
            catch (Exception e)
            {
                failures[i] = e;
                state.Stop();
            }
        });
        if (!failures.IsEmpty)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[failures.Keys.Min()]);
    }
}
