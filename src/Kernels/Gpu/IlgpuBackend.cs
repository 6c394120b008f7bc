using System.Diagnostics.CodeAnalysis;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// The GPU backend: hand-written ILGPU kernels (see <see cref="KernelRegistry"/>) on a CUDA device, or on ILGPU's
/// CPU accelerator configured like an NVIDIA GPU (warps of 32) for tests. Inputs are uploaded per call; the Hamming
/// and cosine indices keep their supports in device memory until disposed. Calls are serialised by a lock.
/// Dispose indices before the backend that created them.
/// </summary>
public sealed class IlgpuBackend : IComputeBackend
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly object _gate = new();
    private readonly bool _isCuda;
    private readonly int _maxGroups;
    private bool _disposed;

    private readonly Lazy<Action<KernelConfig, ProjectionArgs, ArrayView<float>>> _project;
    private readonly Lazy<Action<KernelConfig, ProjectionArgs, ArrayView<uint>>> _projectPack;
    private readonly Lazy<Action<KernelConfig, HammingScorer, TopKArgs>> _hammingTopK;
    private readonly Lazy<Action<KernelConfig, CosineScorer, TopKArgs>> _cosineTopK;
    private readonly Lazy<Action<KernelConfig, CandidateScorer, TopKArgs>> _mergeTopK;
    private readonly Lazy<Action<KernelConfig, RemapArgs>> _remapMerged;
    private readonly Lazy<Action<KernelConfig, SigmoidScorer, TopKArgs>> _sigmoidTopK;
    private readonly Lazy<Action<KernelConfig, AsymmetricArgs>> _asymmetricTopK;
    private readonly Lazy<Action<KernelConfig, PairMergeArgs>> _asymmetricMerge;
    private readonly Lazy<Action<KernelConfig, NormaliseArgs>> _normalise;
    private readonly Lazy<Action<KernelConfig, MajorityArgs>> _majority;
    private readonly Lazy<Action<KernelConfig, ClassMeanArgs>> _classMeans;
    private readonly Lazy<Action<KernelConfig, ProductArgs, ArrayView<float>, int, ArrayView<uint>>> _quantizeProducts;
    private readonly Lazy<Action<KernelConfig, ProductArgs, ArrayView<float>, int, ArrayView<float>>> _productTables;
    private readonly Lazy<Action<KernelConfig, ProductArgs, ArrayView<uint>, int, ArrayView<float>>> _productRoots;
    private readonly Lazy<Action<KernelConfig, ProductCodeScorer, TopKArgs>> _productCodeTopK;

    private IlgpuBackend(Context context, Accelerator accelerator, DeviceInfo device)
    {
        _context = context;
        _accelerator = accelerator;
        _isCuda = accelerator.AcceleratorType == AcceleratorType.Cuda;
        // Grid-stride kernels need only enough groups to fill the device. On the CPU accelerator every group is run
        // in turn by the same OS threads, with a barrier between groups, so a couple of groups is the fast choice.
        _maxGroups = _isCuda ? Math.Max(1, accelerator.NumMultiprocessors) * 16 : 2;
        Device = device;
        SplitTargetWarps = (long)_maxGroups * WarpsPerGroup;

        _project = Load(KernelRegistry.Project);
        _projectPack = Load(KernelRegistry.ProjectPack);
        _hammingTopK = Load(KernelRegistry.HammingTopK);
        _cosineTopK = Load(KernelRegistry.CosineTopK);
        _mergeTopK = Load(KernelRegistry.MergeTopK);
        _remapMerged = Load(KernelRegistry.RemapMerged);
        _sigmoidTopK = Load(KernelRegistry.SigmoidTopK);
        _asymmetricTopK = Load(KernelRegistry.AsymmetricTopK);
        _asymmetricMerge = Load(KernelRegistry.AsymmetricMerge);
        _normalise = Load(KernelRegistry.Normalise);
        _majority = Load(KernelRegistry.MajorityCodes);
        _classMeans = Load(KernelRegistry.ClassMeans);
        _quantizeProducts = Load(KernelRegistry.QuantizeProducts);
        _productTables = Load(KernelRegistry.ProductTables);
        _productRoots = Load(KernelRegistry.ProductRoots);
        _productCodeTopK = Load(KernelRegistry.ProductCodeTopK);
    }

    public DeviceInfo Device { get; }

    /// <summary>
    /// Bytes of device scratch one top-k launch may use for the lanes' private lists; queries are processed in
    /// chunks that fit. Internal so tests can force several chunks.
    /// </summary>
    internal long TopKScratchBytes { get; set; } = 256L << 20;

    private static int _simulatorsOpened;

    /// <summary>
    /// CPU simulators opened in this process so far: the tests' guard reads it to prove that, under
    /// LSHK_TEST_GPU=cuda, no test quietly ran its kernels on the simulator instead of the GPU.
    /// </summary>
    internal static int SimulatorsOpened => Volatile.Read(ref _simulatorsOpened);

    // ---------------------------------------------------------------- factories

    /// <summary>
    /// Context settings shared by every ILGPU context lshk creates (simulator, CUDA, and the PTX compiler), so the
    /// PTX checked by the tests is the PTX a CUDA device runs.
    /// </summary>
    internal static Context.Builder Configure(Context.Builder builder) => builder.Optimize(OptimizationLevel.O2);

    /// <summary>ILGPU's CPU accelerator simulating an NVIDIA GPU (1 multiprocessor, warps of 32). Slow; for tests.</summary>
    public static IlgpuBackend CreateCpuSimulator()
    {
        Interlocked.Increment(ref _simulatorsOpened);
        var context = Context.Create(builder => Configure(builder).CPU(CPUDevice.Nvidia));
        try
        {
            // Parallel mode runs the simulated threads as OS threads meeting at barriers. Sequential mode hands control
            // from thread to thread with Monitor.PulseAll and was tens of times slower on warp shuffles when we measured it.
            var accelerator = context.GetCPUDevice(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
            return new IlgpuBackend(context, accelerator, DescribeSimulator(accelerator.WarpSize, accelerator.NumMultiprocessors));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens CUDA device <paramref name="deviceIndex"/>. Returns false with a one-line reason when there is none
    /// (no driver, no GPU, an unsupported architecture) instead of throwing.
    /// </summary>
    public static bool TryCreateCuda([NotNullWhen(true)] out IlgpuBackend? backend, [NotNullWhen(false)] out string? why,
        int deviceIndex = 0)
    {
        backend = null;
        Context? context = null;
        try
        {
            CudaDriverLibrary.EnsureResolver();
            context = Context.Create(builder => Configure(builder).Cuda());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                why = "no CUDA device was found (no NVIDIA driver/libcuda, no GPU, or an architecture ILGPU 1.5.3 does not support)";
                context.Dispose();
                return false;
            }
            if ((uint)deviceIndex >= (uint)devices.Count)
            {
                why = $"CUDA device {deviceIndex} does not exist ({devices.Count} found)";
                context.Dispose();
                return false;
            }
            var device = devices[deviceIndex];
            var accelerator = device.CreateCudaAccelerator(context);
            backend = new IlgpuBackend(context, accelerator, DescribeCuda(device));
            why = null;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context?.Dispose();
            why = $"no CUDA device was found (CUDA could not be initialised: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")})";
            return false;
        }
    }

    /// <summary>The CUDA devices present (none without a driver), then the ILGPU CPU simulator.</summary>
    public static IReadOnlyList<DeviceInfo> ListDevices()
    {
        var list = new List<DeviceInfo>();
        try
        {
            CudaDriverLibrary.EnsureResolver();
            using var context = Context.Create(builder => Configure(builder).Cuda());
            foreach (var device in context.GetCudaDevices())
                list.Add(DescribeCuda(device));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No usable CUDA installation: only the simulator is listed.
        }
        list.Add(DescribeSimulator(CPUDevice.Nvidia.WarpSize, CPUDevice.Nvidia.NumMultiprocessors));
        return list;
    }

    private static DeviceInfo DescribeCuda(CudaDevice device) =>
        new(device.Name, "cuda", device.MemorySize,
            device.Architecture is { } arch ? $"{arch.Major}.{arch.Minor}" : null,
            device.WarpSize, device.NumMultiprocessors);

    private static DeviceInfo DescribeSimulator(int warpSize, int processors) =>
        new($"ILGPU CPU accelerator (simulated NVIDIA GPU, warp {warpSize})", "ilgpu-cpu",
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, null, warpSize, processors);

    // ---------------------------------------------------------------- operations

    public void Project(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets,
        int p, Span<float> projections)
    {
        BackendChecks.Projection(x, n, d, planes, offsets, p);
        Check.Length(projections, (long)n * p, nameof(projections));
        RunProjection(_project, (long)n * p, x, n, d, planes, offsets, p, projections);
    }

    public void ProjectPack(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets,
        int p, Span<uint> codes)
    {
        BackendChecks.Projection(x, n, d, planes, offsets, p);
        int words = Check.Words(p);
        Check.Length(codes, (long)n * words, nameof(codes));
        RunProjection(_projectPack, (long)n * words, x, n, d, planes, offsets, p, codes);
    }

    /// <summary>
    /// Uploads items, planes and offsets, runs a projection kernel (loaded on first use, under the lock) over
    /// <paramref name="threads"/> outputs and downloads the result.
    /// </summary>
    private void RunProjection<T>(Lazy<Action<KernelConfig, ProjectionArgs, ArrayView<T>>> kernel, long threads,
        ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p, Span<T> output)
        where T : unmanaged
    {
        if (n == 0) return;
        lock (_gate)
        {
            ThrowIfDisposed();
            using var bx = Upload(x);
            using var bp = Upload(planes);
            using var bo = UploadOffsets(offsets, p);
            using var result = Allocate<T>(output.Length);
            kernel.Value(ForThreads(threads), new ProjectionArgs(bx.View, bp.View, bo.View, n, d, p), result.View);
            Download(result, output);
        }
    }

    public IHammingIndex CreateHammingIndex(ReadOnlySpan<uint> codes, int n, int bits) =>
        new IlgpuHammingIndex(this, codes, n, bits);

    public IAsymmetricIndex CreateAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits) =>
        new IlgpuAsymmetricIndex(this, codes, n, bits);

    public ICosineIndex CreateCosineIndex(ReadOnlySpan<float> x, int n, int d) => new IlgpuCosineIndex(this, x, n, d);

    public void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes,
        Span<uint> result)
    {
        BackendChecks.MajorityCodes(codes, n, bits, labels, classes, result);
        int words = Check.Words(bits);
        PerClass(codes, labels, result, (items, itemLabels, classResult) => _majority.Value(
            ForWarps((long)classes * words), new MajorityArgs(items, itemLabels, classResult, n, bits, classes)));
    }

    public void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes, Span<float> result)
    {
        BackendChecks.ClassMeans(x, n, d, labels, classes, result);
        PerClass(x, labels, result, (items, itemLabels, classResult) => _classMeans.Value(
            ForThreads((long)classes * d), new ClassMeanArgs(items, itemLabels, classResult, n, d, classes)));
    }

    /// <summary>
    /// A per-class reduction (<see cref="MajorityCodes"/>, <see cref="ClassMeans"/>): uploads the items and their
    /// labels, launches the kernel on them and a result buffer, and downloads the result.
    /// </summary>
    private void PerClass<T>(ReadOnlySpan<T> items, ReadOnlySpan<int> labels, Span<T> result,
        Action<ArrayView<T>, ArrayView<int>, ArrayView<T>> launch) where T : unmanaged
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var bi = Upload(items);
            using var bl = Upload(labels);
            using var br = Allocate<T>(result.Length);
            launch(bi.View, bl.View, br.View);
            Download(br, result);
        }
    }

    public TopK<float> SigmoidTopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections,
        int n, int p, float sharpness, int k)
    {
        BackendChecks.SigmoidTopK(queryProjections, q, supportProjections, n, p, sharpness, k);
        if (q == 0 || n == 0) return TopK.ForFloats(q, k);

        float[] byPlane = Transpose(supportProjections, n, p);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var bq = Upload(queryProjections);
            using var bs = Upload<float>(byPlane);
            var scorer = new SigmoidScorer(bq.View, bs.View, n, p, sharpness);
            ulong[] entries = RunTopK(_sigmoidTopK.Value, scorer, q, n, k, OrderedKeys.FromFloat(float.NegativeInfinity));
            return DecodeFloats(entries, q, k);
        }
    }

    public void QuantizeProducts(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces,
        Span<uint> codes)
    {
        int run = BackendChecks.QuantizeProducts(x, n, d, centroids, subspaces, codes);
        if (n == 0) return;
        lock (_gate)
        {
            ThrowIfDisposed();
            using var bx = Upload(x);
            using var bc = Upload(centroids);
            using var result = Allocate<uint>(codes.Length);
            _quantizeProducts.Value(ForThreads(codes.Length), new ProductArgs(bc.View, subspaces, run), bx.View, n, result.View);
            Download(result, codes);
        }
    }

    public TopK<float> ProductCodeTopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k)
    {
        int run = BackendChecks.ProductCodeTopK(queries, q, codes, n, d, centroids, subspaces, shift, k);
        if (q == 0 || n == 0) return TopK.ForFloats(q, k);

        // The shift is added on the host, one rounded add per centroid value, as the CPU form adds it.
        var shifted = centroids.ToArray();
        if (!shift.IsEmpty)
            for (long i = 0; i < shifted.LongLength; i++)
                shifted[i] += shift[(int)(i / (ProductCodes.Centroids * run)) * run + (int)(i % run)];
        uint[] byWord = Transpose(codes, n, ProductCodes.Words(subspaces));
        lock (_gate)
        {
            ThrowIfDisposed();
            using var bc = Upload<float>(shifted);
            var args = new ProductArgs(bc.View, subspaces, run);
            using var bq = Upload(queries);
            using var bs = Upload<uint>(byWord);
            using var tables = Allocate<float>((long)q * subspaces * ProductCodes.Centroids);
            using var roots = Allocate<float>(n);
            _productTables.Value(ForThreads(tables.Length), args, bq.View, q, tables.View);
            _productRoots.Value(ForThreads(n), args, bs.View, n, roots.View);
            var scorer = new ProductCodeScorer(tables.View, bs.View, roots.View, n, subspaces);
            ulong[] entries = RunTopK(_productCodeTopK.Value, scorer, q, n, k, OrderedKeys.FromFloat(float.NegativeInfinity));
            return DecodeFloats(entries, q, k);
        }
    }

    // ---------------------------------------------------------------- shared machinery (used by the indices)

    internal object Gate => _gate;

    /// <summary>The accelerator, for the neural-net operations (<see cref="Nn.Gpu.IlgpuNnOps"/>) that share it.</summary>
    internal Accelerator Accelerator => _accelerator;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal void Synchronize() => _accelerator.Synchronize();

    internal Action<KernelConfig, HammingScorer, TopKArgs> HammingTopKKernel => _hammingTopK.Value;
    internal Action<KernelConfig, CosineScorer, TopKArgs> CosineTopKKernel => _cosineTopK.Value;
    internal Action<KernelConfig, AsymmetricArgs> AsymmetricTopKKernel => _asymmetricTopK.Value;
    internal Action<KernelConfig, PairMergeArgs> AsymmetricMergeKernel => _asymmetricMerge.Value;

    /// <summary>
    /// The device's memory bandwidth in GB/s (10^9 bytes), counting bytes read plus bytes written, as the best of
    /// several device-to-device copies of <paramref name="bytes"/> (the driver's copy engine path): the figure a
    /// memory-bound kernel such as a Hamming scan is measured against.
    /// </summary>
    public double MeasureCopyGBps(long bytes = 2L << 30, int passes = 10)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            long count = bytes / sizeof(ulong);
            using var source = Allocate<ulong>(count);
            using var target = Allocate<ulong>(count);
            source.MemSet(0x5A);
            double best = 0;
            for (int pass = 0; pass <= passes; pass++) // pass 0 warms up
            {
                _accelerator.Synchronize();
                var watch = System.Diagnostics.Stopwatch.StartNew();
                source.View.CopyTo(target.View);
                _accelerator.Synchronize();
                double seconds = watch.Elapsed.TotalSeconds;
                if (pass > 0) best = Math.Max(best, 2.0 * count * sizeof(ulong) / seconds / 1e9);
            }
            return best;
        }
    }

    internal MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length) where T : unmanaged =>
        _accelerator.Allocate1D<T>(Math.Max(1, length)); // never zero-length: ILGPU views of length 0 are awkward

    // Host copies go through ILGPU's span overloads, which pin the host memory for the copy. Its `ref T` overloads
    // take a raw pointer without pinning: a collection that moves the array mid-copy reads or writes its old address
    // (IlgpuHostCopyTests).
    internal MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var buffer = Allocate<T>(data.Length);
        if (!data.IsEmpty)
            ((ArrayView<T>)buffer.View).SubView(0, data.Length).CopyFromCPU(data);
        return buffer;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> UploadOffsets(ReadOnlySpan<float> offsets, int p) =>
        offsets.IsEmpty ? Upload<float>(new float[p]) : Upload(offsets);

    internal static void Download<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, Span<T> target) where T : unmanaged
    {
        if (!target.IsEmpty)
            ((ArrayView<T>)buffer.View).SubView(0, target.Length).CopyToCPU(target);
    }

    /// <summary>Rows × cols row-major → cols × rows, so a warp's lanes (consecutive rows) read consecutive floats.</summary>
    internal static unsafe T[] Transpose<T>(ReadOnlySpan<T> source, int rows, int cols) where T : unmanaged
    {
        var result = new T[source.Length];
        if ((long)rows * cols < ParallelTransposeFrom)
        {
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    result[(long)c * rows + r] = source[r * cols + c];
            return result;
        }
        // Large indices (10^8 codes of a benchmark: gigabytes) transpose in row blocks on every core, reading the
        // caller's memory in place (pinned for the loop) rather than through a copy of it.
        fixed (T* pinned = source)
        {
            T* rowMajor = pinned;
            Parallel.For(0, (rows + TransposeBlock - 1) / TransposeBlock, block =>
            {
                int end = (int)Math.Min(rows, (long)(block + 1) * TransposeBlock);
                for (int r = block * TransposeBlock; r < end; r++)
                    for (int c = 0; c < cols; c++)
                        result[(long)c * rows + r] = rowMajor[(long)r * cols + c];
            });
        }
        return result;
    }

    private const long ParallelTransposeFrom = 1L << 22;
    private const int TransposeBlock = 1 << 14;

    /// <summary>Launch shape of a grid-stride kernel over <paramref name="work"/> items.</summary>
    internal KernelConfig ForThreads(long work)
    {
        int group = _isCuda ? 256 : 64;
        long groups = Math.Clamp((work + group - 1) / group, 1, _maxGroups);
        return new KernelConfig((int)groups, group);
    }

    private int WarpsPerGroup => _isCuda ? 4 : 2;

    /// <summary>Launch shape of a warp-stride kernel over <paramref name="warps"/> warp tasks (groups of whole warps).</summary>
    internal KernelConfig ForWarps(long warps)
    {
        int warpSize = _accelerator.WarpSize;
        long groups = Math.Clamp((warps + WarpsPerGroup - 1) / WarpsPerGroup, 1, _maxGroups);
        return new KernelConfig((int)groups, WarpsPerGroup * warpSize);
    }

    /// <summary>
    /// Fewest supports one warp task scans when a search is cut into support ranges: below it the merge costs more
    /// than the extra warps gain (64 supports per lane). Internal so tests can force splits on small inputs.
    /// </summary>
    internal int MinSupportsPerSplit { get; set; } = 64 * 32;

    /// <summary>Warp tasks a split search aims for: the warps one launch keeps resident. Internal so tests can raise it.</summary>
    internal long SplitTargetWarps { get; set; }

    /// <summary>
    /// How many support ranges each query's scan is cut into: enough warp tasks to fill the device (a launch keeps
    /// about <see cref="SplitTargetWarps"/> warps resident), never ranges shorter than <see cref="MinSupportsPerSplit"/>
    /// or than 4·k (so each merge level keeps at most a quarter of what it reads). One query gets thousands of warps on
    /// a GPU; a thousand queries already fill it and stay unsplit or nearly so. Range lengths are multiples of the warp
    /// size, so each warp's loads start aligned.
    /// </summary>
    internal (int Splits, int Length) SplitsFor(int q, int n, int k)
    {
        int warpSize = _accelerator.WarpSize;
        long shortest = Math.Max(MinSupportsPerSplit, 4L * k);
        long splits = Math.Min(SplitTargetWarps / Math.Max(1, q), n / shortest);
        if (splits <= 1) return (1, n);
        long length = ((n + splits - 1) / splits + warpSize - 1) / warpSize * warpSize;
        return ((int)((n + length - 1) / length), (int)length);
    }

    /// <summary>
    /// Runs the warp top-k kernel for q queries over n supports and returns the q × k packed entries (0 = padding).
    /// Queries go in chunks so an unsplit launch's scratch stays within <see cref="TopKScratchBytes"/> (a split launch
    /// has at most <see cref="SplitTargetWarps"/> tasks, so its scratch is bounded anyway). Call under <see cref="Gate"/>.
    /// </summary>
    internal ulong[] RunTopK<TScorer>(Action<KernelConfig, TScorer, TopKArgs> kernel, TScorer scorer, int q, int n, int k,
        uint missingKey) where TScorer : struct, IPairScorer
    {
        var entries = new ulong[(long)q * k];
        if (q == 0 || n == 0) return entries;
        long bytesPerQuery = (long)_accelerator.WarpSize * Math.Min(k, ((long)n + _accelerator.WarpSize - 1) / _accelerator.WarpSize) * sizeof(ulong);
        int chunk = (int)Math.Clamp(TopKScratchBytes / bytesPerQuery, 1, q);
        using var result = Allocate<ulong>(entries.Length);
        for (int offset = 0; offset < q; offset += chunk)
            TopKInto(kernel, scorer, Math.Min(chunk, q - offset), offset, n, k, missingKey, result.View);
        Download(result, entries);
        return entries;
    }

    /// <summary>
    /// Queries [offset, offset + count) into their rows of <paramref name="result"/>. Each query's supports are cut into
    /// <see cref="SplitsFor"/> ranges, one warp each. With several ranges, their candidates (k per range) are merged by
    /// the same search over a <see cref="CandidateScorer"/> (itself split when the candidates are many, so a single
    /// query over 10^8 supports merges in a few levels instead of one long warp), and a remap launch puts back the
    /// support indices of the entries, which index candidates.
    /// </summary>
    private void TopKInto<TScorer>(Action<KernelConfig, TScorer, TopKArgs> kernel, TScorer scorer, int count, int offset,
        int n, int k, uint missingKey, ArrayView<ulong> result) where TScorer : struct, IPairScorer
    {
        int warpSize = _accelerator.WarpSize;
        var (splits, length) = SplitsFor(count, n, k);
        int laneCapacity = (int)Math.Min(k, ((long)length + warpSize - 1) / warpSize);
        using var scratch = Allocate<ulong>((long)count * splits * warpSize * laneCapacity);
        if (splits == 1)
        {
            kernel(ForWarps(count), scorer, new TopKArgs(count, offset, n, k, laneCapacity, missingKey, scratch.View, result));
            return;
        }
        int perQuery = splits * k;
        using var candidates = Allocate<ulong>((long)count * perQuery);
        kernel(ForWarps((long)count * splits), scorer,
            new TopKArgs(count, offset, n, k, laneCapacity, missingKey, scratch.View, candidates.View, splits, length));
        TopKInto(_mergeTopK.Value, new CandidateScorer(candidates.View, perQuery, offset), count, offset, perQuery, k,
            missingKey, result);
        _remapMerged.Value(ForThreads((long)count * k), new RemapArgs(count, offset, k, perQuery, candidates.View, result));
    }

    internal static TopK<int> DecodeCounts(ulong[] entries, int q, int k) =>
        Decode(entries, TopK.ForCounts(q, k), OrderedKeys.ToInt);

    internal static TopK<float> DecodeFloats(ulong[] entries, int q, int k) =>
        Decode(entries, TopK.ForFloats(q, k), OrderedKeys.ToFloat);

    /// <summary>Fills <paramref name="topK"/> from the kernel's (key, index) entries; entry 0 is padding and stays missing.</summary>
    private static TopK<T> Decode<T>(ulong[] entries, TopK<T> topK, Func<uint, T> score) where T : unmanaged
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i] == 0) continue;
            topK.Indices[i] = OrderedKeys.EntryIndex(entries[i]);
            topK.Scores[i] = score(OrderedKeys.EntryKey(entries[i]));
        }
        return topK;
    }

    internal void Normalise(ArrayView<float> source, ArrayView<float> target, int rows, int d, bool dimensionMajor) =>
        _normalise.Value(ForThreads(rows),
            new NormaliseArgs(source, target, rows, d, dimensionMajor ? 1 : d, dimensionMajor ? rows : 1));

    private Lazy<Action<KernelConfig, T1, T2>> Load<T1, T2>(Action<T1, T2> kernel)
        where T1 : struct where T2 : struct =>
        new(() => _accelerator.LoadStreamKernel(kernel));

    private Lazy<Action<KernelConfig, T1, T2, T3, T4>> Load<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        new(() => _accelerator.LoadStreamKernel(kernel));

    private Lazy<Action<KernelConfig, T1>> Load<T1>(Action<T1> kernel) where T1 : struct =>
        new(() => _accelerator.LoadStreamKernel(kernel));

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _accelerator.Dispose();
            _context.Dispose();
        }
    }
}
