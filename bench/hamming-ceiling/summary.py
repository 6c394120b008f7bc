#!/usr/bin/env python3
"""The RESULTS table from run.sh's files: per (Q, N, bits) each round's comparisons/s, as a fraction of that round's
popcount ceiling (64-bit popcounts/s of the bare scalar loop; a b-bit comparison is b/64 popcounts) and, for single
queries, the codes' GB/s as a fraction of the round's one-core memory read bandwidth."""
import csv, glob, json, os, re
from collections import defaultdict

here = os.path.dirname(os.path.abspath(__file__))
ceiling, bandwidth, rows = {}, {}, defaultdict(dict)
for path in sorted(glob.glob(os.path.join(here, "ceiling-*.csv"))):
    rnd = int(re.search(r"ceiling-(\d+)", path).group(1))
    with open(path) as f:
        forms = {r["form"]: float(r["popcounts64_per_s"]) for r in csv.DictReader(f)}
    ceiling[rnd] = forms
for path in sorted(glob.glob(os.path.join(here, "q*.json"))):
    rnd = int(re.search(r"-(\d+)\.json$", path).group(1))
    doc = json.load(open(path))
    if doc.get("memoryReadGBps"):
        bandwidth[rnd] = doc["memoryReadGBps"]
    for r in doc["rows"]:
        rows[(r["queries"], r["n"], r["planes"])][rnd] = r
rounds = sorted(ceiling)
print("ceiling (64-bit popcounts/s, scalar / AVX2 nibble): " + "; ".join(
    f"round {k}: {ceiling[k]['scalar-popcnt']:.3g} / {ceiling[k].get('avx2-nibble', float('nan')):.3g}" for k in rounds))
print("one-core memory read bandwidth (GB/s): " + "; ".join(f"round {k}: {bandwidth[k]:.1f}" for k in sorted(bandwidth)))
print()
print("| Q | N | bits | comparisons/s | % of the popcount ceiling | GB/s of codes | % of memory bandwidth |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for (q, n, bits) in sorted(rows):
    by = rows[(q, n, bits)]
    ks = [k for k in rounds if k in by]
    cps = " / ".join(f"{by[k]['comparisonsPerSecond']:.3g}" for k in ks)
    frac = " / ".join(f"{100 * by[k]['comparisonsPerSecond'] * bits / 64 / ceiling[k]['scalar-popcnt']:.0f} %" for k in ks)
    gbs = " / ".join(f"{by[k]['gBytesPerSecond']:.1f}" for k in ks)
    bw = " / ".join(f"{100 * by[k]['gBytesPerSecond'] / bandwidth[k]:.0f} %" for k in ks if k in bandwidth) if q == 1 else "–"
    print(f"| {q:,} | {n:,} | {bits} | {cps} | {frac} | {gbs} | {bw} |")
