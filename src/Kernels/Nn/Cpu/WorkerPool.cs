using System.Diagnostics;
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

    /// <summary>
    /// How long an idle thread keeps polling for the next loop (or the caller for its helpers' end) before it
    /// blocks. A training step runs ~15 loops with gaps of well under this between them; a blocked thread on this
    /// (virtual) machine took ~0.2 ms to wake, ~3 % of a step, which polling saves. Past the budget the thread
    /// blocks, so an idle pool costs nothing.
    /// </summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 500; // 2 ms

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping; // per helper: 1 while it is blocked (or about to block) on its _wake
    private readonly ManualResetEventSlim _done = new(false);
    private Body? _body;
    private int _count;
    private int _participants;
    private int _slots;
    private volatile bool _failed;
    private int _running;
    private Exception? _error;
    private long _generation; // bumped once per loop; helpers wait for it to move
    private volatile bool _stopping;

    public WorkerPool(int workers)
    {
        Check.Positive(workers, nameof(workers));
        Workers = workers;
        _threads = new Thread[workers - 1];
        _wake = new SemaphoreSlim[workers - 1];
        _sleeping = new int[workers - 1];
        for (int w = 1; w < workers; w++)
        {
            _wake[w - 1] = new SemaphoreSlim(0);
            var thread = new Thread(Loop) { IsBackground = true, Name = $"lshk-nn-worker-{w}" };
            _threads[w - 1] = thread;
            thread.Start(w - 1);
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
        _running = Workers - 1; // every helper checks in, those beyond the participants with no items
        Interlocked.Increment(ref _generation);
        for (int h = 0; h < _wake.Length; h++)
            if (Interlocked.Exchange(ref _sleeping[h], 0) == 1) _wake[h].Release();
        Work(0);
        WaitForHelpers();
        _body = null;
        if (_error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    private void WaitForHelpers()
    {
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref _running) != 0)
        {
            if (Stopwatch.GetTimestamp() <= deadline)
            {
                Thread.SpinWait(SpinIterations);
                continue;
            }
            // A helper sets _done after its decrement, possibly after this thread saw the count reach zero and left
            // an earlier loop: a set event proves nothing, so reset it, look at the count, and only then block.
            _done.Reset();
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _running) != 0) _done.Wait();
        }
    }

    /// <summary>Pause iterations between two polls of a shared flag: short, so a waiting thread reacts in well under a microsecond.</summary>
    private const int SpinIterations = 8;

    private void Work(int worker)
    {
        if (worker >= _participants) return;
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
        int helper = (int)state!;
        long seen = 0;
        while (true)
        {
            seen = WaitForLoop(helper, seen);
            if (_stopping) return;
            Work(Interlocked.Increment(ref _slots)); // worker numbers 1…P−1, whichever threads woke
            if (Interlocked.Decrement(ref _running) == 0) _done.Set();
        }
    }

    /// <summary>Polls for a loop newer than <paramref name="seen"/>, then blocks; returns the loop's generation.</summary>
    private long WaitForLoop(int helper, long seen)
    {
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        while (true)
        {
            long now = Volatile.Read(ref _generation);
            if (now != seen || _stopping) return now;
            if (Stopwatch.GetTimestamp() <= deadline)
            {
                Thread.SpinWait(SpinIterations);
                continue;
            }
            // Announce the sleep, then look once more: a loop that started in between either saw the flag (and
            // released the semaphore, which must then be consumed) or did not (and the flag is taken back here).
            Volatile.Write(ref _sleeping[helper], 1);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _generation) == seen && !_stopping)
                _wake[helper].Wait();
            else if (Interlocked.Exchange(ref _sleeping[helper], 0) == 0)
                _wake[helper].Wait();
            deadline = Stopwatch.GetTimestamp() + SpinTicks;
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        for (int h = 0; h < _wake.Length; h++)
            if (Interlocked.Exchange(ref _sleeping[h], 0) == 1) _wake[h].Release();
        foreach (var thread in _threads) thread.Join();
        foreach (var wake in _wake) wake.Dispose();
        _done.Dispose();
    }
}
