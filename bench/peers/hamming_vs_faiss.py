#!/usr/bin/python3
"""Exact Hamming top-k: FAISS IndexBinaryFlat vs `lshk search` on the same packed codes.

For N in {100000, 1000000}, P in {64, 256} bits, Q = 1000 queries, k in {1, 5}: random codes
(seeded) are saved as N x (P/8) uint8 .npy files, FAISS is timed (add, and search as best of
--repeat), lshk is run on the same files with --repeat, and the answers are compared:
  * distances: lshk's scores (XNOR counts) must equal P - FAISS's Hamming distances, entry by entry;
  * indices: lshk's may differ from FAISS's only where distances tie; every lshk index is checked
    to really have the distance it claims, and on --ref-queries queries lshk's indices must equal a
    numpy reference that breaks ties by the lower support index (lshk's documented rule).
Run with Debian's python:  /usr/bin/python3 bench/peers/hamming_vs_faiss.py
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402

import numpy as np  # noqa: E402

POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming_to_all(support, q):
    """Hamming distances from one packed code q (B bytes) to every row of support (N x B)."""
    x = np.bitwise_xor(support, q[None, :])
    return POPCOUNT8[x].sum(axis=1, dtype=np.int32)


def reference_topk(support, queries, k):
    """Exact top-k by Hamming distance, ties broken by the lower index (stable sort)."""
    idx = np.empty((len(queries), k), dtype=np.int64)
    dist = np.empty((len(queries), k), dtype=np.int32)
    for i, q in enumerate(queries):
        d = hamming_to_all(support, q)
        # Stable argsort on distance keeps lower indices first among equal distances; only the
        # candidates up to the k-th distance need sorting.
        kth = np.partition(d, k - 1)[k - 1]
        cand = np.flatnonzero(d <= kth)
        order = cand[np.argsort(d[cand], kind="stable")][:k]
        idx[i], dist[i] = order, d[order]
    return idx, dist


def claimed_distances_hold(support, queries, indices, distances):
    """True when every returned index has the returned distance (Q x k)."""
    if indices.min() < 0 or indices.max() >= len(support):
        return False
    x = np.bitwise_xor(support[indices], queries[:, None, :])
    return bool(np.array_equal(POPCOUNT8[x].sum(axis=2, dtype=np.int32), distances))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000], help="support sizes")
    ap.add_argument("--bits", type=int, nargs="+", default=[64, 256], help="code lengths P (multiples of 8)")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="searches timed per tool; the best counts")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--ref-queries", type=int, default=20, help="queries checked against the exact numpy reference")
    ap.add_argument("--lshk", default=peerlib.default_lshk_command(), help="command that runs lshk (default: %(default)s)")
    ap.add_argument("--device", default="cpu", help="lshk --device value ('' to leave it out)")
    ap.add_argument("--lshk-args", default="", help="extra arguments for lshk search")
    ap.add_argument("--skip-lshk", action="store_true", help="time FAISS only")
    ap.add_argument("--workdir", help="where the .npy files go (default: a temporary folder, deleted afterwards)")
    ap.add_argument("--out", default=os.path.join(peerlib.DEFAULT_OUT_DIR, "hamming_vs_faiss.json"))
    peerlib.add_quiet_option(ap)
    args = ap.parse_args()

    import faiss
    faiss.omp_set_num_threads(args.threads)
    use_lshk = not args.skip_lshk and peerlib.lshk_available(args.lshk)
    if not use_lshk and not args.skip_lshk:
        print("note: running FAISS only; build lshk (dotnet build src/Cli -c Release) or pass --lshk CMD", file=sys.stderr)

    busy_before = peerlib.warn_if_busy()
    workdir = args.workdir or tempfile.mkdtemp(prefix="lshk-peers-hamming-")
    os.makedirs(workdir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    try:
        for bits in args.bits:
            if bits % 8:
                sys.exit(f"--bits {bits} is not a multiple of 8")
            nbytes = bits // 8
            queries = rng.integers(0, 256, size=(args.queries, nbytes), dtype=np.uint8)
            qpath = os.path.join(workdir, f"query_P{bits}.npy")
            np.save(qpath, queries)
            for n in args.n:
                support = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
                spath = os.path.join(workdir, f"support_N{n}_P{bits}.npy")
                np.save(spath, support)

                peerlib.wait_for_quiet(args.wait_quiet)
                index = faiss.IndexBinaryFlat(bits)
                t0 = time.perf_counter()
                index.add(support)
                faiss_add = time.perf_counter() - t0

                nref = min(args.ref_queries, args.queries)
                ref_i, ref_d = reference_topk(support, queries[:nref], max(args.k))

                for k in args.k:
                    peerlib.wait_for_quiet(args.wait_quiet)
                    faiss_search, (fd, fi) = peerlib.best_of(lambda: index.search(queries, k), args.repeat)
                    fd = fd.astype(np.int32)
                    row = {"N": n, "P": bits, "Q": args.queries, "k": k,
                           "faiss_add_seconds": faiss_add, "faiss_search_seconds": faiss_search,
                           "faiss_distances_match_reference": bool(np.array_equal(fd[:nref], ref_d[:, :k])),
                           "faiss_indices_match_reference": bool(np.array_equal(fi[:nref], ref_i[:, :k])),
                           "faiss_gcodes_per_second": n * args.queries / faiss_search / 1e9}
                    if use_lshk:
                        peerlib.wait_for_quiet(args.wait_quiet)
                        li, ld, stats, wall = peerlib.run_lshk_search(
                            args.lshk, spath, qpath, k, workdir, f"N{n}_P{bits}_k{k}",
                            repeat=args.repeat, device=args.device, extra=args.lshk_args)
                        shape_ok = li.shape == (args.queries, k) and ld.shape == (args.queries, k)
                        ld = ld.astype(np.int64)
                        dist_equal = shape_ok and bool(np.array_equal(ld, bits - fd.astype(np.int64)))
                        claims_ok = shape_ok and claimed_distances_hold(support, queries, li.astype(np.int64), (bits - ld).astype(np.int32))
                        tie_rule_ok = shape_ok and bool(np.array_equal(li[:nref], ref_i[:, :k]))
                        lshk_search = float(stats["search_seconds"])
                        row.update({
                            "lshk_build_seconds": float(stats.get("build_seconds", float("nan"))),
                            "lshk_search_seconds": lshk_search,
                            "lshk_repeats": stats.get("repeats"),
                            "lshk_process_seconds": wall,
                            "lshk_gcodes_per_second": n * args.queries / lshk_search / 1e9,
                            "speedup": faiss_search / lshk_search,
                            "distances_equal": dist_equal,
                            "indices_valid": claims_ok,
                            "indices_equal_faiss": shape_ok and bool(np.array_equal(li, fi)),
                            "ties_lower_index_first": tie_rule_ok,
                            "lshk_stats": stats,
                        })
                    rows.append(row)
                    print(f"N={n} P={bits} k={k}: faiss search {faiss_search:.4f}s"
                          + (f", lshk {row['lshk_search_seconds']:.4f}s, distances equal: {row['distances_equal']}"
                             if use_lshk else ""), flush=True)
                del index, support
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    yn = lambda b: "yes" if b else "NO"  # noqa: E731
    for r in rows:
        for key in ("distances_equal", "indices_valid", "ties_lower_index_first"):
            if key in r:
                r[key + "_text"] = yn(r[key])
    print()
    print(f"Hamming top-k, Q={args.queries}, {args.threads} threads, best of {args.repeat} "
          f"(FAISS {faiss.__version__} IndexBinaryFlat; numpy {np.__version__})")
    cols = [("N", "N", "{:d}"), ("P", "P", "{:d}"), ("k", "k", "{:d}"),
            ("faiss_add_seconds", "faiss add s", "{:.4f}"), ("faiss_search_seconds", "faiss search s", "{:.4f}"),
            ("lshk_build_seconds", "lshk build s", "{:.4f}"), ("lshk_search_seconds", "lshk search s", "{:.4f}"),
            ("speedup", "speed-up", "{:.2f}x"), ("distances_equal_text", "distances equal", None),
            ("indices_valid_text", "indices valid", None), ("ties_lower_index_first_text", "ties->lower idx", None)]
    peerlib.print_table(rows, cols)
    peerlib.write_json(args.out, {
        "other_cpu_load_before": busy_before, "other_cpu_load_after": peerlib.warn_if_busy(),
        "benchmark": "hamming_vs_faiss", "machine": peerlib.machine_info(),
        "faiss_version": faiss.__version__, "numpy_version": np.__version__,
        "threads": args.threads, "repeat": args.repeat, "seed": args.seed, "queries": args.queries,
        "lshk_command": args.lshk if use_lshk else None, "rows": rows})
    if use_lshk and not all(r["distances_equal"] and r["indices_valid"] for r in rows):
        sys.exit("lshk disagrees with FAISS (see the table)")


if __name__ == "__main__":
    main()
