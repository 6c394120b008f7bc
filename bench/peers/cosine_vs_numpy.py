#!/usr/bin/python3
"""Dense cosine top-k: numpy + OpenBLAS vs `lshk search` on the same float32 .npy files.

D in {64, 576}, N = 100000 support vectors, Q = 1000 queries, k in {1, 5}, float32, 2 threads.
numpy does what a careful user would: normalise the rows, then blocked GEMM (Q_block @ S_block.T)
with the running best kept per query (argmax for k = 1, argpartition + merge for k > 1). Block
sizes and the threading layout (OpenBLAS threads vs one BLAS thread per Python thread) are tuned
per configuration before timing, and the fastest is reported.

This machine sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which force OpenBLAS onto slower
kernels; the script re-executes itself without them before numpy is imported (lshk, a child
process, still sees them), and prints the BLAS and kernel numpy actually uses. --compare-env also
times numpy with the variables left in place.

Checks: lshk's top-1 index equals numpy's, or both candidates' cosines (computed in float64)
are within 1e-5; likewise position by position for top-5.
Run with Debian's python:  /usr/bin/python3 bench/peers/cosine_vs_numpy.py
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, nargs="+", default=[64, 576])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--tol", type=float, default=1e-5, help="cosine difference under which a different index counts as a tie")
    ap.add_argument("--no-tune", action="store_true", help="use one fixed block layout instead of tuning")
    ap.add_argument("--lshk", default=peerlib.default_lshk_command(), help="command that runs lshk (default: %(default)s)")
    ap.add_argument("--device", default="cpu", help="lshk --device value ('' to leave it out)")
    ap.add_argument("--lshk-args", default="")
    ap.add_argument("--skip-lshk", action="store_true", help="time numpy only")
    ap.add_argument("--compare-env", action="store_true",
                    help="also time numpy with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE left as the environment sets them")
    ap.add_argument("--keep-env", action="store_true", help=argparse.SUPPRESS)  # used by --compare-env's child
    ap.add_argument("--workdir")
    ap.add_argument("--out", default=os.path.join(peerlib.DEFAULT_OUT_DIR, "cosine_vs_numpy.json"))
    peerlib.add_quiet_option(ap)
    return ap.parse_args()


ARGS = parse_args()
if not ARGS.keep_env:
    peerlib.clean_openblas_env_or_reexec()
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)  # before numpy loads OpenBLAS
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import contextlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402


def normalise(x):
    """Rows scaled to unit length (float32); zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float32))
    norms[norms == 0] = 1
    return x / norms[:, None]


def topk_blocked(qn, sn, k, qb, sb):
    """Exact top-k by dot product of unit rows: (indices int64, scores float32), best first."""
    nq, n = qn.shape[0], sn.shape[0]
    best_s = np.full((nq, k), -np.inf, dtype=np.float32)
    best_i = np.zeros((nq, k), dtype=np.int64)
    buf = np.empty((min(qb, nq), min(sb, n)), dtype=np.float32)
    for q0 in range(0, nq, qb):
        q = qn[q0:q0 + qb]
        m = q.shape[0]
        bs, bi = best_s[q0:q0 + m], best_i[q0:q0 + m]
        rows = np.arange(m)
        for s0 in range(0, n, sb):
            blk = sn[s0:s0 + sb]
            out = buf[:m, :blk.shape[0]]
            np.matmul(q, blk.T, out=out)
            if k == 1:
                a = out.argmax(axis=1)
                v = out[rows, a]
                upd = v > bs[:, 0]  # strict: an earlier (lower) index keeps a tie
                bs[upd, 0] = v[upd]
                bi[upd, 0] = a[upd] + s0
            else:
                if s0 == 0 or not np.isfinite(bs[:, k - 1]).all():
                    # Still filling: everything at or above each row's k-th largest value in this
                    # block (ties included, so the lower index can win them in the merge).
                    kk = min(k, out.shape[1])
                    thr = np.partition(out, out.shape[1] - kk, axis=1)[:, out.shape[1] - kk:out.shape[1] - kk + 1]
                    r, c = np.nonzero(out >= thr)
                else:
                    # Only scores strictly above the current k-th best can enter: a later block
                    # never wins a tie against a lower index.
                    r, c = np.nonzero(out > bs[:, k - 1:k])
                if len(r):
                    all_q = np.concatenate([np.repeat(rows, k), r])
                    all_s = np.concatenate([bs.ravel(), out[r, c]])
                    all_i = np.concatenate([bi.ravel(), c + s0])
                    order = np.lexsort((all_i, -all_s, all_q))  # per query: score desc, then lower index
                    q_sorted = all_q[order]
                    starts = np.searchsorted(q_sorted, rows)
                    keep = order[np.arange(len(order)) - starts[q_sorted] < k]
                    bs[:] = all_s[keep].reshape(m, k)
                    bi[:] = all_i[keep].reshape(m, k)
    return best_i, best_s


def search_blas(qn, sn, k, qb, sb, threads):
    """One Python thread, OpenBLAS uses `threads` threads inside each GEMM."""
    with peerlib.limit_threads(threads) or contextlib.nullcontext():
        return topk_blocked(qn, sn, k, qb, sb)


def search_split(qn, sn, k, qb, sb, threads, pool):
    """`threads` Python threads over query slices, one BLAS thread each (GEMM and most reductions release the GIL)."""
    with peerlib.limit_threads(1) or contextlib.nullcontext():
        parts = np.array_split(np.arange(qn.shape[0]), threads)
        futs = [pool.submit(topk_blocked, qn[p[0]:p[-1] + 1], sn, k, qb, sb) for p in parts if len(p)]
        res = [f.result() for f in futs]
    return np.concatenate([r[0] for r in res]), np.concatenate([r[1] for r in res])


def numpy_measure(support, queries, k, args, pool):
    """Tunes the layout, then times normalise + search (best of --repeat). Returns a dict and the answer."""
    build, sn = peerlib.best_of(lambda: normalise(support), args.repeat)  # the first includes page faults

    def run(layout):
        kind, qb, sb = layout
        qn = normalise(queries)
        if kind == "blas":
            return search_blas(qn, sn, k, qb, sb, args.threads)
        return search_split(qn, sn, k, qb, sb, args.threads, pool)

    nq = queries.shape[0]
    if args.no_tune:
        layouts = [("blas", nq, 2048)]
    else:
        layouts = [(kind, qb, sb) for kind in ("blas", "split") for qb, sb in
                   ((nq, 512), (nq, 1024), (nq, 2048), (nq, 4096), (256, 8192), (128, 16384))]
    tuning = {}
    peerlib.wait_for_quiet(args.wait_quiet)
    for lay in layouts:
        run(lay)  # warm-up (first touch, thread start)
        tuning["%s q%d s%d" % lay] = peerlib.best_of(lambda: run(lay), 1)[0]
    best_layout = min(layouts, key=lambda lay: tuning["%s q%d s%d" % lay])
    peerlib.wait_for_quiet(args.wait_quiet)
    secs, (idx, scores) = peerlib.best_of(lambda: run(best_layout), args.repeat)
    return {"numpy_build_seconds": build, "numpy_search_seconds": secs,
            "numpy_layout": "%s q%d s%d" % best_layout,
            "numpy_tuning_seconds": tuning}, idx, scores, sn


def compare(idx_l, idx_n, sn, qn, tol):
    """Positions where indices differ must be ties: |cos(q, s_l) - cos(q, s_n)| <= tol (float64)."""
    if idx_l.shape != idx_n.shape or idx_l.min() < 0 or idx_l.max() >= sn.shape[0]:
        return False, -1, float("inf")
    diff = idx_l != idx_n
    if not diff.any():
        return True, 0, 0.0
    qi, pos = np.nonzero(diff)
    q64 = qn[qi].astype(np.float64)
    cl = np.einsum("ij,ij->i", q64, sn[idx_l[qi, pos]].astype(np.float64))
    cn = np.einsum("ij,ij->i", q64, sn[idx_n[qi, pos]].astype(np.float64))
    worst = float(np.abs(cl - cn).max())
    return worst <= tol, int(diff.sum()), worst


def child_numpy_only(args):
    """--keep-env child: numpy timings only, with whatever OpenBLAS variables it inherited."""
    rng = np.random.default_rng(args.seed)
    out = {"blas": peerlib.blas_info(), "env": {v: os.environ.get(v) for v in peerlib.OPENBLAS_TRAP_VARS}, "rows": []}
    with ThreadPoolExecutor(args.threads) as pool:
        for d in args.dims:
            support = rng.standard_normal((args.n, d), dtype=np.float32)
            queries = rng.standard_normal((args.queries, d), dtype=np.float32)
            for k in args.k:
                r, *_ = numpy_measure(support, queries, k, args, pool)
                out["rows"].append({"D": d, "k": k, **r})
    json.dump(out, sys.stdout)


def main():
    args = ARGS
    if args.keep_env:
        return child_numpy_only(args)

    blas = peerlib.blas_info()
    print(f"numpy {np.__version__} BLAS: " + "; ".join(
        f"{b.get('internal_api')} {b.get('version')} kernel={b.get('architecture')} threads={b.get('num_threads')} ({b.get('filepath')})"
        if "internal_api" in b else "see numpy.show_config" for b in blas))
    print(f"OpenBLAS variables removed for numpy: {peerlib.saved_trap_values() or 'none were set'}")
    use_lshk = not args.skip_lshk and peerlib.lshk_available(args.lshk)
    if not use_lshk and not args.skip_lshk:
        print("note: running numpy only; build lshk (dotnet build src/Cli -c Release) or pass --lshk CMD", file=sys.stderr)

    busy_before = peerlib.warn_if_busy()
    workdir = args.workdir or tempfile.mkdtemp(prefix="lshk-peers-cosine-")
    os.makedirs(workdir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    try:
        with ThreadPoolExecutor(args.threads) as pool:
            for d in args.dims:
                support = rng.standard_normal((args.n, d), dtype=np.float32)
                queries = rng.standard_normal((args.queries, d), dtype=np.float32)
                spath = os.path.join(workdir, f"support_D{d}.npy")
                qpath = os.path.join(workdir, f"query_D{d}.npy")
                np.save(spath, support)
                np.save(qpath, queries)
                qn = normalise(queries)
                for k in args.k:
                    res, idx_n, sc_n, sn = numpy_measure(support, queries, k, args, pool)
                    row = {"N": args.n, "D": d, "Q": args.queries, "k": k, **res,
                           "numpy_gflops": 2.0 * args.n * args.queries * d / res["numpy_search_seconds"] / 1e9}
                    if use_lshk:
                        peerlib.wait_for_quiet(args.wait_quiet)
                        li, ls, stats, wall = peerlib.run_lshk_search(
                            args.lshk, spath, qpath, k, workdir, f"D{d}_k{k}",
                            repeat=args.repeat, device=args.device, extra=args.lshk_args)
                        li = li.astype(np.int64)
                        ok, ndiff, worst = compare(li, idx_n, sn, qn, args.tol)
                        score_err = float(np.abs(ls.astype(np.float64) - sc_n.astype(np.float64)).max()) \
                            if ls.shape == sc_n.shape else float("inf")
                        lshk_search = float(stats["search_seconds"])
                        row.update({"lshk_build_seconds": float(stats.get("build_seconds", float("nan"))),
                                    "lshk_search_seconds": lshk_search, "lshk_repeats": stats.get("repeats"),
                                    "lshk_process_seconds": wall,
                                    "lshk_gflops": 2.0 * args.n * args.queries * d / lshk_search / 1e9,
                                    "speedup": res["numpy_search_seconds"] / lshk_search,
                                    "same_indices": ok, "indices_differing": ndiff,
                                    "max_cosine_gap_where_differing": worst,
                                    "max_score_difference": score_err, "lshk_stats": stats})
                    rows.append(row)
                    print(f"D={d} k={k}: numpy {res['numpy_search_seconds']:.4f}s ({res['numpy_layout']})"
                          + (f", lshk {row['lshk_search_seconds']:.4f}s, same indices: {row['same_indices']}" if use_lshk else ""),
                          flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    forced = None
    if args.compare_env:
        saved = peerlib.saved_trap_values()
        if not saved:
            print("note: --compare-env: no OpenBLAS variables were set, nothing to compare", file=sys.stderr)
        else:
            argv = [sys.executable, os.path.abspath(__file__), "--keep-env", "--dims", *map(str, args.dims),
                    "--n", str(args.n), "--queries", str(args.queries), "--k", *map(str, args.k),
                    "--threads", str(args.threads), "--repeat", str(args.repeat), "--seed", str(args.seed),
                    "--wait-quiet", str(args.wait_quiet)]
            if args.no_tune:
                argv.append("--no-tune")
            r = subprocess.run(argv, capture_output=True, text=True, env=peerlib.original_env(), check=True)
            forced = json.loads(r.stdout)
            for row in rows:
                for fr in forced["rows"]:
                    if (fr["D"], fr["k"]) == (row["D"], row["k"]):
                        row["numpy_search_seconds_forced_env"] = fr["numpy_search_seconds"]
                        row["numpy_layout_forced_env"] = fr["numpy_layout"]

    for r in rows:
        if "same_indices" in r:
            r["same_indices_text"] = "yes" if r["same_indices"] else "NO"
    print()
    print(f"Cosine top-k, N={args.n}, Q={args.queries}, float32, {args.threads} threads, best of {args.repeat}")
    cols = [("D", "D", "{:d}"), ("k", "k", "{:d}"),
            ("numpy_build_seconds", "numpy build s", "{:.4f}"), ("numpy_search_seconds", "numpy search s", "{:.4f}"),
            ("numpy_gflops", "GFLOP/s", "{:.0f}"), ("numpy_layout", "numpy layout", None)]
    if forced:
        cols.append(("numpy_search_seconds_forced_env", "numpy s (forced env)", "{:.4f}"))
    cols += [("lshk_build_seconds", "lshk build s", "{:.4f}"), ("lshk_search_seconds", "lshk search s", "{:.4f}"),
             ("speedup", "speed-up", "{:.2f}x"), ("same_indices_text", "same indices", None)]
    peerlib.print_table(rows, cols)
    peerlib.write_json(args.out, {
        "other_cpu_load_before": busy_before, "other_cpu_load_after": peerlib.warn_if_busy(),
        "benchmark": "cosine_vs_numpy", "machine": peerlib.machine_info(), "numpy_version": np.__version__,
        "blas": blas, "openblas_vars_removed": peerlib.saved_trap_values(),
        "forced_env_blas": forced["blas"] if forced else None,
        "threads": args.threads, "repeat": args.repeat, "seed": args.seed,
        "lshk_command": args.lshk if use_lshk else None, "rows": rows})
    if use_lshk and not all(r["same_indices"] for r in rows):
        sys.exit("lshk's top-k differs from numpy's beyond ties (see the table)")


if __name__ == "__main__":
    main()
