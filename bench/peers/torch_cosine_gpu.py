#!/usr/bin/env python3
"""Dense cosine top-k with PyTorch on a CUDA GPU: the figure lshk's GPU matcher is compared with.

Normalised float32 embeddings, Q=1000 queries against N supports, one GEMM (Q x D @ D x N) then topk,
timed with CUDA events after a warm-up, best of --repeat. Prints the GPU name with every figure.
Run:  python3 bench/peers/torch_cosine_gpu.py [--n 100000 1000000] [--dim 64] [--k 1 5]
"""
import argparse
import json

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dim", type=int, nargs="+", default=[64])
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to PyTorch")
    name = torch.cuda.get_device_name(0)
    gen = torch.Generator(device="cuda").manual_seed(1)
    rows = []
    for d in args.dim:
        for n in args.n:
            s = torch.nn.functional.normalize(torch.randn(n, d, device="cuda", generator=gen), dim=1)
            q = torch.nn.functional.normalize(torch.randn(args.queries, d, device="cuda", generator=gen), dim=1)
            for k in args.k:
                for _ in range(3):
                    torch.topk(q @ s.T, k, dim=1)
                best = float("inf")
                for _ in range(args.repeat):
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    torch.topk(q @ s.T, k, dim=1)
                    end.record()
                    torch.cuda.synchronize()
                    best = min(best, start.elapsed_time(end) / 1000)
                row = dict(gpu=name, n=n, dim=d, k=k, queries=args.queries, seconds=best,
                           queries_per_second=args.queries / best, gbytes_per_second=n * d * 4 / best / 1e9)
                rows.append(row)
                print(f"{name}: torch cosine N={n} D={d} k={k}: {best * 1e3:.3f} ms, "
                      f"{row['queries_per_second']:.0f} queries/s, {row['gbytes_per_second']:.1f} GB/s of supports")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
