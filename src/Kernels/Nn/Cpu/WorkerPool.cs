using System.Runtime.ExceptionServices;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// A fixed set of worker threads that run the items of one parallel loop. Unlike <c>Parallel.For</c> it allocates
/// nothing per loop, which keeps a training step free of allocations; each item also learns which worker runs it, so
/// workers can own scratch buffers. The calling thread is worker 0. One loop at a time.
///
/// Scheduling is static: of P = min(Workers, count) participants, worker w runs items [w·count/P, (w+1)·count/P) in
/// order, and the worker numbers 0…P−1 go to whichever threads wake up. So what each worker number accumulates in
/// its scratch (partial sums of gradients and batch statistics) and the order the callers add those partials in
/// never depend on thread timing: a training step on the CPU gives the same bits every time for a given thread count
/// (training checkpoints resume into the identical model).
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>The body of a loop: runs item <paramref name="item"/> on worker <paramref name="worker"/>.</summary>
    public delegate void Body(int item, int worker);

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private Body? _body;
    private int _count;
    private int _participants;
    private int _slots;
    private volatile bool _failed;
    private int _running;
    private Exception? _error;
    private volatile bool _stopping;

    public WorkerPool(int workers)
    {
        Check.Positive(workers, nameof(workers));
        Workers = workers;
        _threads = new Thread[workers - 1];
        for (int w = 1; w < workers; w++)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"lshk-nn-worker-{w}" };
            _threads[w - 1] = thread;
            thread.Start(w);
        }
    }

    public int Workers { get; }

    /// <summary>Runs body(i, worker) for every i in [0, count) and returns when all are done; rethrows the first failure.</summary>
    public void For(int count, Body body)
    {
        if (count <= 0) return;
        int helpers = Math.Min(Workers - 1, count - 1);
        if (helpers == 0)
        {
            for (int i = 0; i < count; i++) body(i, 0);
            return;
        }
        _body = body;
        _count = count;
        _participants = helpers + 1;
        _slots = 0;
        _failed = false;
        _error = null;
        _running = helpers;
        _done.Reset();
        _start.Release(helpers);
        Work(0);
        _done.Wait();
        _body = null;
        if (_error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    private void Work(int worker)
    {
        var body = _body!;
        long count = _count, participants = _participants;
        int start = (int)(count * worker / participants), end = (int)(count * (worker + 1) / participants);
        for (int i = start; i < end && !_failed; i++)
        {
            try
            {
                body(i, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                _failed = true; // the other workers stop taking items
            }
        }
    }

    private void Loop(object? state)
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            Work(Interlocked.Increment(ref _slots)); // worker numbers 1…P−1, whichever threads woke
            if (Interlocked.Decrement(ref _running) == 0) _done.Set();
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        if (_threads.Length > 0) _start.Release(_threads.Length);
        foreach (var thread in _threads) thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
