#!/usr/bin/python3
"""Memory read bandwidth of this machine, measured with numpy (a second opinion next to lshk's own).

Reads a large array (default 1 GiB, far beyond any cache) several ways and reports the best of
--repeat for each, in GB/s (10^9 bytes per second):
  sum-1t      numpy sum of float64 on one thread
  sum-Nt      the same split over --threads Python threads (numpy releases the GIL inside the loop)
  dot-blas    OpenBLAS ddot against a ones vector (OpenBLAS threads it; --threads threads)
  count-Nt    numpy count_nonzero over the bytes (SIMD) split over --threads threads
Also reports cache-resident sizes (--sizes) so a Hamming scan of 1M codes (8 MB at 64 bits,
32 MB at 256 bits) can be compared with both.
OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are removed first (the script re-executes itself).
Run:  /usr/bin/python3 bench/peers/membw.py
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gib", type=float, default=1.0, help="size of the main (DRAM) array in GiB")
    ap.add_argument("--sizes", type=float, nargs="*", default=[8, 32],
                    help="extra array sizes in MB (cache-resident reads)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=os.path.join(peerlib.DEFAULT_OUT_DIR, "membw.json"))
    peerlib.add_quiet_option(ap)
    return ap.parse_args()


ARGS = parse_args()
peerlib.clean_openblas_env_or_reexec()
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import contextlib  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402


def measure(nbytes, threads, repeat, pool):
    a = np.ones(int(nbytes) // 8, dtype=np.float64)  # written once: pages are touched before timing
    ones = np.ones_like(a)
    u8 = a.view(np.uint8)
    chunks = np.array_split(a, threads)
    uchunks = np.array_split(u8, threads)
    # Repeated sums over small pieces keep the same total bytes; per-call overhead stays negligible.
    methods = {
        "sum-1t": lambda: float(a.sum()),
        f"sum-{threads}t": lambda: sum(pool.map(lambda c: float(c.sum()), chunks)),
        "dot-blas": lambda: float(np.dot(a, ones)),
        f"count-{threads}t": lambda: sum(pool.map(np.count_nonzero, uchunks)),
    }
    res = {}
    for name, fn in methods.items():
        fn()
        secs, _ = peerlib.best_of(fn, repeat)
        # dot-blas reads two arrays
        moved = a.nbytes * (2 if name == "dot-blas" else 1)
        res[name] = {"seconds": secs, "gb_per_s": moved / secs / 1e9}
    return res


def main():
    args = ARGS
    busy_before = peerlib.warn_if_busy()
    with peerlib.limit_threads(args.threads) or contextlib.nullcontext():
        blas = peerlib.blas_info()
        results = []
        with ThreadPoolExecutor(args.threads) as pool:
            sizes = [(f"{args.gib:g} GiB", args.gib * 2**30)] + [(f"{mb:g} MB", mb * 1e6) for mb in args.sizes]
            for label, nbytes in sizes:
                peerlib.wait_for_quiet(args.wait_quiet)
                r = measure(nbytes, args.threads, args.repeat, pool)
                best = max(r, key=lambda m: r[m]["gb_per_s"])
                results.append({"size": label, "bytes": int(nbytes), "methods": r, "best_method": best,
                                "best_gb_per_s": r[best]["gb_per_s"]})
                print(f"{label:>10}: " + "  ".join(f"{m} {v['gb_per_s']:.1f}" for m, v in r.items())
                      + f"  GB/s  (best {best}: {r[best]['gb_per_s']:.1f} GB/s)", flush=True)
    dram = results[0]["best_gb_per_s"]
    print(f"\nDRAM read bandwidth (best of methods, {args.threads} threads): {dram:.1f} GB/s")
    print(f"  a 1M-code scan at 64 bits (8 MB) from DRAM: {8e6 / dram / 1e9 * 1e3:.3f} ms; "
          f"at 256 bits (32 MB): {32e6 / dram / 1e9 * 1e3:.3f} ms per pass over the codes")
    peerlib.write_json(args.out, {"other_cpu_load_before": busy_before, "other_cpu_load_after": peerlib.warn_if_busy(),
                                  "benchmark": "membw", "machine": peerlib.machine_info(),
                                  "numpy_version": np.__version__, "blas": blas, "threads": args.threads,
                                  "repeat": args.repeat, "dram_read_gb_per_s": dram, "results": results})


if __name__ == "__main__":
    main()
