#!/usr/bin/env python3
"""Dense cosine top-k with PyTorch on a CUDA GPU: the figure lshk's GPU matchers are compared with.

Unit float32 (or float16) embeddings, Q queries against N supports: GEMM (Q x D @ D x N) then topk, over support
chunks small enough that one chunk's Q x chunk scores stay under --max-scores elements (10^8 supports x 1000 queries
would be 400 GB of scores), each chunk's top k merged into the running top k. Timed with CUDA events after a
warm-up, best of --repeat; supports are drawn on the device in chunks. Prints the GPU name with every figure.
Run:  python3 bench/peers/torch_cosine_gpu.py [--n 100000 1000000] [--dim 64] [--k 1 5] [--queries 1 1000]
      [--dtype float32 float16] [--out rows.json]
"""
import argparse
import json
import time

import torch


def unit_rows(n, d, dtype, gen, chunk=10_000_000):
    out = torch.empty(n, d, device="cuda", dtype=dtype)
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        x = torch.randn(end - start, d, device="cuda", generator=gen)
        out[start:end] = torch.nn.functional.normalize(x, dim=1).to(dtype)
    return out


def search(q, s, k, max_scores):
    """Top-k of q @ s.T over support chunks; returns (values, indices) of shape Q x k."""
    chunk = max(k, max_scores // q.shape[0])
    best_v = best_i = None
    for start in range(0, s.shape[0], chunk):
        v, i = torch.topk(q @ s[start:start + chunk].T, min(k, s[start:start + chunk].shape[0]), dim=1)
        i = i + start
        if best_v is None:
            best_v, best_i = v, i
        else:
            v, pick = torch.topk(torch.cat([best_v, v], dim=1), k, dim=1)
            best_i = torch.gather(torch.cat([best_i, i], dim=1), 1, pick)
            best_v = v
    return best_v, best_i


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dim", type=int, nargs="+", default=[64])
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--queries", type=int, nargs="+", default=[1000])
    ap.add_argument("--dtype", nargs="+", default=["float32"], choices=["float32", "float16"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-scores", type=int, default=1 << 28, help="score elements per chunk (Q x chunk)")
    ap.add_argument("--budget-s", type=float, default=0, help="stop starting new configurations after this many seconds")
    ap.add_argument("--out")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to PyTorch")
    name = torch.cuda.get_device_name(0)
    gen = torch.Generator(device="cuda").manual_seed(1)
    rows = []
    began = time.time()

    def save():
        if args.out:
            with open(args.out, "w") as f:
                json.dump(rows, f, indent=2)

    for dtype_name in args.dtype:
        dtype = getattr(torch, dtype_name)
        for d in args.dim:
            for n in args.n:
                if args.budget_s and time.time() - began > args.budget_s:
                    print(f"budget of {args.budget_s} s spent: stopping before N={n}")
                    save()
                    return
                s = unit_rows(n, d, dtype, gen)
                for nq in args.queries:
                    q = unit_rows(nq, d, dtype, gen)
                    for k in args.k:
                        for _ in range(2):
                            search(q, s, k, args.max_scores)
                        best = float("inf")
                        for _ in range(args.repeat):
                            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                            start.record()
                            search(q, s, k, args.max_scores)
                            end.record()
                            torch.cuda.synchronize()
                            best = min(best, start.elapsed_time(end) / 1000)
                        item = d * s.element_size()
                        row = dict(gpu=name, method="torch-cosine", dtype=dtype_name, n=n, dim=d, k=k, queries=nq,
                                   seconds=best, queries_per_second=nq / best, comparisons_per_second=n * nq / best,
                                   gbytes_per_second=n * item / best / 1e9, bytes_per_item=item)
                        rows.append(row)
                        print(f"{name}: torch cosine {dtype_name} N={n} D={d} Q={nq} k={k}: {best * 1e3:.3f} ms, "
                              f"{row['queries_per_second']:.0f} queries/s, {row['comparisons_per_second']:.3g} comparisons/s, "
                              f"{row['gbytes_per_second']:.1f} GB/s of supports", flush=True)
                    del q
                del s
                torch.cuda.empty_cache()
                save()
    save()


if __name__ == "__main__":
    main()
