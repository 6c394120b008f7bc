using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Dense cosine search on the CPU, organised like a matrix multiply with the top-k fused in: supports are
/// normalised and stored in blocks of 16, transposed (block b, dimension j, lane l at [(b·D + j)·16 + l]), so
/// one Vector512 holds dimension j of 16 supports. A micro-kernel keeps 6 queries × 64 supports of dot
/// products in 24 registers while it walks the dimensions (broadcast query value × support vector, fused
/// multiply-add), then compares all 32 scores of each query with its current k-th best; only winners leave
/// the vector path. Supports are processed in L2-sized tiles shared by a group of queries, and the full
/// Q×N score matrix is never stored.
///
/// Without AVX-512 (where Vector512 runs as halves through memory) the micro-kernel takes the four blocks one at a
/// time, 6 queries × 16 supports in 12 Vector256 accumulators (with two loads and a broadcast, 15 of AVX2's 16
/// registers). Each score is the same chain of fused multiply-adds over the dimensions, so the scores are identical.
/// </summary>
internal sealed unsafe class CpuCosineIndex : ICosineIndex
{
    private const int Lanes = 16;           // floats per Vector512
    private const int QueryGroup = 6;       // queries per micro-kernel
    private const int BlocksPerKernel = 4;  // blocks of 16 supports per micro-kernel
    private const int TileBytes = 192 * 1024;

    private readonly float[] _blocked;      // blocks (a multiple of BlocksPerKernel) × D × 16
    private readonly int _blocks;

    public CpuCosineIndex(ReadOnlySpan<float> x, int n, int d)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(d, nameof(d));
        Check.Length(x, (long)n * d, nameof(x));
        Count = n;
        Dim = d;
        _blocks = ((n + Lanes - 1) / Lanes + BlocksPerKernel - 1) / BlocksPerKernel * BlocksPerKernel;
        _blocked = GC.AllocateArray<float>(_blocks * d * Lanes, pinned: true);
        var row = new float[d];
        for (int s = 0; s < n; s++)
        {
            x.Slice(s * d, d).CopyTo(row);
            Normalise(row, 1, d);
            int b = s / Lanes, lane = s % Lanes;
            for (int j = 0; j < d; j++) _blocked[(b * d + j) * Lanes + lane] = row[j];
        }
    }

    public int Count { get; }
    public int Dim { get; }

    /// <summary>Scales each row to unit length; a zero row stays zero.</summary>
    internal static void Normalise(Span<float> rows, int n, int d)
    {
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * d, d);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
    }

    public TopK<float> Search(ReadOnlySpan<float> queries, int q, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queries, (long)q * Dim, nameof(queries));
        var result = TopK.ForFloats(q, k);
        if (q == 0 || Count == 0) return result;

        // Normalised queries, padded with zero rows to a whole number of micro-kernel groups.
        int groups = (q + QueryGroup - 1) / QueryGroup;
        var qs = GC.AllocateArray<float>(groups * QueryGroup * Dim, pinned: true);
        queries.CopyTo(qs);
        Normalise(qs, q, Dim);

        int threads = Environment.ProcessorCount;
        if (groups >= 2 * threads || _blocks < 8 * threads)
        {
            // Few, large tasks (two per thread): each streams the support set once for all its query groups.
            int chunk = Math.Max(1, (groups + threads * 2 - 1) / (threads * 2));
            int tasks = (groups + chunk - 1) / chunk;
            Parallel.For(0, tasks, t =>
            {
                int g0 = t * chunk, g1 = Math.Min(groups, g0 + chunk);
                var state = RunningTopK.ForFloats((g1 - g0) * QueryGroup, k);
                ScanRange(qs, g0, g1, 0, _blocks, state);
                state.WriteTo(result, g0 * QueryGroup, q);
            });
        }
        else
        {
            int parts = threads;
            int per = (_blocks / BlocksPerKernel + parts - 1) / parts * BlocksPerKernel;
            var states = new RunningTopK<float>[parts];
            Parallel.For(0, parts, part =>
            {
                int b0 = part * per, b1 = Math.Min(_blocks, b0 + per);
                states[part] = RunningTopK.ForFloats(groups * QueryGroup, k);
                if (b0 < b1) ScanRange(qs, 0, groups, b0, b1, states[part]);
            });
            var merged = states[0];
            for (int part = 1; part < parts; part++) merged = merged.MergeWith(states[part]);
            merged.WriteTo(result, 0, q);
        }
        return result;
    }

    /// <summary>Query groups [g0, g1) against support blocks [b0, b1) (whole micro-kernels), tile by tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanRange(float[] qs, int g0, int g1, int b0, int b1, RunningTopK<float> state)
    {
        int tileBlocks = Math.Max(BlocksPerKernel, TileBytes / (Dim * Lanes * sizeof(float)) / BlocksPerKernel * BlocksPerKernel);
        fixed (float* sup = _blocked)
        fixed (float* qp = qs)
        {
            for (int t0 = b0; t0 < b1; t0 += tileBlocks)
            {
                int t1 = Math.Min(b1, t0 + tileBlocks);
                for (int g = g0; g < g1; g++)
                    for (int b = t0; b < t1; b += BlocksPerKernel)
                        MicroKernel(qp + (long)g * QueryGroup * Dim, sup + (long)b * Dim * Lanes, b, state, (g - g0) * QueryGroup);
            }
        }
    }

    /// <summary>6 queries × 64 supports (blocks b .. b+3) of dot products, then the top-k check.</summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MicroKernel(float* q, float* s, int block, RunningTopK<float> state, int row)
    {
        // The dot products go through memory so that no call is live across the FMA loop: otherwise the JIT
        // spills the accumulators to the stack on every iteration.
        float* scores = stackalloc float[QueryGroup * BlocksPerKernel * Lanes];
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int b = 0; b < BlocksPerKernel; b++)
                DotProductsBlock256(q, s + (long)b * Dim * Lanes, Dim, scores + b * Lanes);
            for (int i = 0; i < QueryGroup; i++)
                Consider256(state, row + i, block, scores + i * BlocksPerKernel * Lanes);
            return;
        }
        DotProducts(q, s, Dim, scores);
        for (int i = 0; i < QueryGroup; i++)
        {
            float* r = scores + i * BlocksPerKernel * Lanes;
            Consider(state, row + i, block, Vector512.Load(r), Vector512.Load(r + Lanes));
            Consider(state, row + i, block + 2, Vector512.Load(r + 2 * Lanes), Vector512.Load(r + 3 * Lanes));
        }
    }

    /// <summary>
    /// scores[i·64 + l] = dot(query i, support l of the four blocks at s), for 6 queries: 24 accumulators,
    /// 4 support loads and 6 broadcasts per dimension for 24 fused multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DotProducts(float* q, float* s, int d, float* scores)
    {
        float* q0 = q, q1 = q + d, q2 = q + 2 * d, q3 = q + 3 * d, q4 = q + 4 * d, q5 = q + 5 * d;
        float* s0 = s, s1 = s + d * Lanes, s2 = s + 2 * d * Lanes, s3 = s + 3 * d * Lanes;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        for (int j = 0; j < d; j++)
        {
            var v0 = Vector512.Load(s0 + j * Lanes);
            var v1 = Vector512.Load(s1 + j * Lanes);
            var v2 = Vector512.Load(s2 + j * Lanes);
            var v3 = Vector512.Load(s3 + j * Lanes);
            Vector512<float> x;
            x = Vector512.Create(q0[j]);
            a00 = Vector512.FusedMultiplyAdd(x, v0, a00); a01 = Vector512.FusedMultiplyAdd(x, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(x, v2, a02); a03 = Vector512.FusedMultiplyAdd(x, v3, a03);
            x = Vector512.Create(q1[j]);
            a10 = Vector512.FusedMultiplyAdd(x, v0, a10); a11 = Vector512.FusedMultiplyAdd(x, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(x, v2, a12); a13 = Vector512.FusedMultiplyAdd(x, v3, a13);
            x = Vector512.Create(q2[j]);
            a20 = Vector512.FusedMultiplyAdd(x, v0, a20); a21 = Vector512.FusedMultiplyAdd(x, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(x, v2, a22); a23 = Vector512.FusedMultiplyAdd(x, v3, a23);
            x = Vector512.Create(q3[j]);
            a30 = Vector512.FusedMultiplyAdd(x, v0, a30); a31 = Vector512.FusedMultiplyAdd(x, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(x, v2, a32); a33 = Vector512.FusedMultiplyAdd(x, v3, a33);
            x = Vector512.Create(q4[j]);
            a40 = Vector512.FusedMultiplyAdd(x, v0, a40); a41 = Vector512.FusedMultiplyAdd(x, v1, a41);
            a42 = Vector512.FusedMultiplyAdd(x, v2, a42); a43 = Vector512.FusedMultiplyAdd(x, v3, a43);
            x = Vector512.Create(q5[j]);
            a50 = Vector512.FusedMultiplyAdd(x, v0, a50); a51 = Vector512.FusedMultiplyAdd(x, v1, a51);
            a52 = Vector512.FusedMultiplyAdd(x, v2, a52); a53 = Vector512.FusedMultiplyAdd(x, v3, a53);
        }
        a00.Store(scores + 0); a01.Store(scores + 16); a02.Store(scores + 32); a03.Store(scores + 48);
        a10.Store(scores + 64); a11.Store(scores + 80); a12.Store(scores + 96); a13.Store(scores + 112);
        a20.Store(scores + 128); a21.Store(scores + 144); a22.Store(scores + 160); a23.Store(scores + 176);
        a30.Store(scores + 192); a31.Store(scores + 208); a32.Store(scores + 224); a33.Store(scores + 240);
        a40.Store(scores + 256); a41.Store(scores + 272); a42.Store(scores + 288); a43.Store(scores + 304);
        a50.Store(scores + 320); a51.Store(scores + 336); a52.Store(scores + 352); a53.Store(scores + 368);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Consider(RunningTopK<float> state, int row, int block, Vector512<float> first, Vector512<float> second)
    {
        var limit = Vector512.Create(state.Worst(row));
        uint better = (uint)Vector512.GreaterThan(first, limit).ExtractMostSignificantBits()
            | (uint)Vector512.GreaterThan(second, limit).ExtractMostSignificantBits() << 16;
        if (better != 0) Offer(state, row, block, first, second, better);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Offer(RunningTopK<float> state, int row, int block, Vector512<float> first, Vector512<float> second, uint lanes)
    {
        while (lanes != 0)
        {
            int lane = BitOperations.TrailingZeroCount(lanes);
            lanes &= lanes - 1;
            int index = block * Lanes + lane;
            if (index >= Count) break;
            float score = lane < Lanes ? first.GetElement(lane) : second.GetElement(lane - Lanes);
            state.Offer(row, score, index);
        }
    }

    /// <summary>
    /// scores[i·64 + l] = dot(query i, support l of the block at s) for 6 queries and the block's 16 supports: the
    /// AVX2 form of <see cref="DotProducts"/>, one block per call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DotProductsBlock256(float* q, float* s, int d, float* scores)
    {
        const int Half = Lanes / 2;
        const int RowStride = BlocksPerKernel * Lanes;
        float* q0 = q, q1 = q + d, q2 = q + 2 * d, q3 = q + 3 * d, q4 = q + 4 * d, q5 = q + 5 * d;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default,
            a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (int j = 0; j < d; j++)
        {
            var v0 = Vector256.Load(s + j * Lanes);
            var v1 = Vector256.Load(s + j * Lanes + Half);
            var x = Vector256.Create(q0[j]);
            a00 = Vector256.FusedMultiplyAdd(x, v0, a00); a01 = Vector256.FusedMultiplyAdd(x, v1, a01);
            x = Vector256.Create(q1[j]);
            a10 = Vector256.FusedMultiplyAdd(x, v0, a10); a11 = Vector256.FusedMultiplyAdd(x, v1, a11);
            x = Vector256.Create(q2[j]);
            a20 = Vector256.FusedMultiplyAdd(x, v0, a20); a21 = Vector256.FusedMultiplyAdd(x, v1, a21);
            x = Vector256.Create(q3[j]);
            a30 = Vector256.FusedMultiplyAdd(x, v0, a30); a31 = Vector256.FusedMultiplyAdd(x, v1, a31);
            x = Vector256.Create(q4[j]);
            a40 = Vector256.FusedMultiplyAdd(x, v0, a40); a41 = Vector256.FusedMultiplyAdd(x, v1, a41);
            x = Vector256.Create(q5[j]);
            a50 = Vector256.FusedMultiplyAdd(x, v0, a50); a51 = Vector256.FusedMultiplyAdd(x, v1, a51);
        }
        a00.Store(scores); a01.Store(scores + Half); scores += RowStride;
        a10.Store(scores); a11.Store(scores + Half); scores += RowStride;
        a20.Store(scores); a21.Store(scores + Half); scores += RowStride;
        a30.Store(scores); a31.Store(scores + Half); scores += RowStride;
        a40.Store(scores); a41.Store(scores + Half); scores += RowStride;
        a50.Store(scores); a51.Store(scores + Half);
    }

    /// <summary>The AVX2 form of <see cref="Consider"/> for one query's 64 scores at r (blocks block .. block+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Consider256(RunningTopK<float> state, int row, int block, float* r)
    {
        const int Half = Lanes / 2;
        var limit = Vector256.Create(state.Worst(row));
        ulong better = 0;
        for (int part = 0; part < BlocksPerKernel * Lanes / Half; part++)
            better |= (ulong)Vector256.GreaterThan(Vector256.Load(r + part * Half), limit).ExtractMostSignificantBits() << (part * Half);
        while (better != 0)
        {
            int lane = BitOperations.TrailingZeroCount(better);
            better &= better - 1;
            int index = block * Lanes + lane;
            if (index >= Count) break;
            state.Offer(row, r[lane], index);
        }
    }

    public void Dispose()
    {
    }
}
