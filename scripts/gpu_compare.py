#!/usr/bin/env python3
"""Checks that lshk gives the same results on a GPU device as on its CPU backend (scripts/gpu-check.sh, step agree).

Reads the files the step wrote into WORK and the eval JSON it wrote into OUT, and writes OUT/agree.json:
- codes of the same embeddings: identical bits;            Hamming top-5 of the same codes: identical indices and counts
- embeddings of the same images by the same model: within 1e-4 of the largest |value| of each row
- cosine top-5 of the same embeddings: scores within 1e-4, indices identical except where two scores tie within that
- accuracies of the model trained on the device and the one trained on the CPU backend (same seed, same episodes):
  each pair within the two 95 % intervals combined (training itself rounds differently on each device)
Exit code 1 when any check fails.
Run:  python3 scripts/gpu_compare.py WORK OUT DEVICE
"""
import json
import sys

import numpy as np

TOLERANCE = 1e-4


def main():
    work, out, device = sys.argv[1:4]
    checks = []

    def check(name, ok, detail):
        checks.append(dict(check=name, ok=bool(ok), detail=detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")

    def load(name):
        return np.load(f"{work}/{name}")

    codes_cpu, codes_dev = load("codes-cpu.npy"), load(f"codes-{device}.npy")
    check("codes identical", np.array_equal(codes_cpu, codes_dev),
          f"{codes_cpu.shape}, {int((codes_cpu != codes_dev).sum())} bytes differ")

    for what in ("hamming",):
        i_cpu, i_dev = load(f"{what}-cpu.npy"), load(f"{what}-{device}.npy")
        s_cpu, s_dev = load(f"{what}-scores-cpu.npy"), load(f"{what}-scores-{device}.npy")
        check(f"{what} top-5 identical", np.array_equal(i_cpu, i_dev) and np.array_equal(s_cpu, s_dev),
              f"{int((i_cpu != i_dev).sum())} indices and {int((s_cpu != s_dev).sum())} counts differ of {i_cpu.size}")

    e_cpu, e_dev = load("embed-cpu.npy").astype(np.float64), load(f"embed-{device}.npy").astype(np.float64)
    scale = np.maximum(np.abs(e_cpu).max(axis=1, keepdims=True), 1e-30)
    rel = float((np.abs(e_cpu - e_dev) / scale).max())
    check("embeddings within 1e-4", rel <= TOLERANCE, f"{e_cpu.shape}, largest difference {rel:.2e} of the row's largest |value|")

    i_cpu, i_dev = load("cosine-cpu.npy"), load(f"cosine-{device}.npy")
    s_cpu, s_dev = load("cosine-scores-cpu.npy").astype(np.float64), load(f"cosine-scores-{device}.npy").astype(np.float64)
    score_diff = float(np.abs(s_cpu - s_dev).max())
    differ = i_cpu != i_dev
    # An index may differ only where the CPU's own scores at that rank and the next/previous are within the tolerance.
    near_tie = np.zeros_like(differ)
    near_tie[:, :-1] |= np.abs(s_cpu[:, :-1] - s_cpu[:, 1:]) <= TOLERANCE
    near_tie[:, 1:] |= np.abs(s_cpu[:, 1:] - s_cpu[:, :-1]) <= TOLERANCE
    unexplained = int((differ & ~near_tie).sum())
    check("cosine top-5 agrees", score_diff <= TOLERANCE and unexplained == 0,
          f"largest score difference {score_diff:.2e}; {int(differ.sum())} indices differ, {unexplained} not at a near-tie")

    rows = {}
    for d in (device, "cpu"):
        with open(f"{out}/agree-eval-{d}.json") as f:
            doc = json.load(f)
        rows[d] = {(r["ways"], r["shots"], r.get("hash", "-"), r.get("planes", 0), r["method"]): r for r in find_rows(doc)}
    for key, r_dev in sorted(rows[device].items(), key=str):
        r_cpu = rows["cpu"].get(key)
        if r_cpu is None:
            continue
        gap = abs(r_dev["mean"] - r_cpu["mean"])
        allowed = r_dev["ci95"] + r_cpu["ci95"]
        check(f"accuracy {key}", gap <= allowed,
              f"{device}-trained {r_dev['mean']:.4f} vs cpu-trained {r_cpu['mean']:.4f} (gap {gap:.4f}, intervals {allowed:.4f})")

    with open(f"{out}/agree.json", "w") as f:
        json.dump(checks, f, indent=2)
    sys.exit(0 if all(c["ok"] for c in checks) else 1)


def find_rows(doc):
    """The eval JSON's result rows, wherever the document keeps them."""
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict) and "method" in r]
    for value in doc.values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "method" in value[0]:
            return value
        if isinstance(value, dict):
            found = find_rows(value)
            if found:
                return found
    return []


if __name__ == "__main__":
    main()
