#!/usr/bin/env python3
"""Turns what one GPU run brought back (scripts/gpu-check.sh's gpu-results.tar.gz, or its folder) into the tables
issue 13 asks for, as Markdown for bench/RESULTS.md:

- the GPU, and the device's memory bandwidth as lshk measured it (2 GiB device-to-device copy, read + write);
- Hamming scans: GB/s of codes streamed, and that as a fraction of the bandwidth (single-query N = 10^8 included);
- queries/s of Hamming, asymmetric and lshk's cosine against PyTorch's cosine (fp32, fp16) at the same N, Q, k;
  memory per support of each;
- the plane count where Hamming stops beating the best cosine, per (N, Q, k);
- training images/s of lshk against PyTorch + cuDNN; the CPU-vs-GPU agreement checks; the GPU-trained accuracy.
Missing parts (a step the run did not reach) are said, not skipped silently.
Run:  python3 scripts/gpu_report.py gpu-results.tar.gz [> gpu-tables.md]
"""
import json
import os
import re
import sys
import tarfile
import tempfile


def load(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def rows_of(doc):
    return doc["rows"] if isinstance(doc, dict) and "rows" in doc else (doc or [])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def g(x):
    return f"{x:.3g}"


def report(folder):
    out = []
    gpu_csv = os.path.join(folder, "gpu.csv")
    if os.path.exists(gpu_csv):
        out.append("GPU (nvidia-smi): " + open(gpu_csv).read().strip().splitlines()[-1])
    match = [load(folder, n) for n in ("match-q1000.json", "match-q1.json", "match-big-q1.json", "match-big-q100.json")]
    bandwidth = next((m.get("memoryReadGBps") for m in match if m and m.get("memoryReadGBps")), None)
    device = next((m.get("device") for m in match if m), None)
    out.append(f"lshk device: {device or 'not reached'}; memory bandwidth measured by lshk: "
               + (f"{bandwidth:.0f} GB/s (device-to-device copy, read + write)" if bandwidth else "not measured"))

    lshk_rows = [r for m in match if m for r in rows_of(m)]
    torch_rows = rows_of(load(folder, "torch-cosine.json"))
    if lshk_rows:
        out.append("\n**Scans** (best of the repeats; GB/s = bytes of supports read per second; fraction of the bandwidth):\n")
        rows = []
        for r in sorted(lshk_rows, key=lambda r: (r["method"], r["queries"], r["n"], r["planes"], r["k"])):
            frac = f"{100 * r['gBytesPerSecond'] / bandwidth:.0f} %" if bandwidth and r["queries"] == 1 else ""
            rows.append([r["method"], f"{r['n']:,}", r["planes"] or f"dim {r['dim']}", r["queries"], r["k"],
                         f"{r['searchSeconds'] * 1e3:.3f}", g(r["queriesPerSecond"]), g(r["comparisonsPerSecond"]),
                         f"{r['gBytesPerSecond']:.0f}", frac, r["bytesPerItem"]])
        out.append(table(["method", "N", "bits", "Q", "k", "ms", "queries/s", "comparisons/s", "GB/s", "of bandwidth",
                          "bytes/support"], rows))
    else:
        out.append("\nScans: not reached.")
    if torch_rows:
        out.append("\n**PyTorch cosine on the same card** (GEMM + top-k over support chunks):\n")
        out.append(table(["dtype", "N", "dim", "Q", "k", "ms", "queries/s", "GB/s", "bytes/support"],
                         [[r["dtype"], f"{r['n']:,}", r["dim"], r["queries"], r["k"], f"{r['seconds'] * 1e3:.3f}",
                           g(r["queries_per_second"]), f"{r['gbytes_per_second']:.0f}", r["bytes_per_item"]] for r in torch_rows]))
    else:
        out.append("\nPyTorch cosine: not reached.")

    # Where Hamming stops beating the best cosine (lshk's or PyTorch's), at each (N, Q, k) both measured.
    if lshk_rows:
        cosine = {}

        def better(key, qps, what):
            if qps > cosine.get(key, (0.0, ""))[0]:
                cosine[key] = (qps, what)

        for r in lshk_rows:
            if r["method"] == "cosine":
                better((r["n"], r["queries"], r["k"]), r["queriesPerSecond"], "lshk fp32")
        for r in torch_rows:
            better((r["n"], r["queries"], r["k"]), r["queries_per_second"], f"PyTorch {r['dtype']}")
        lines = []
        for key in sorted(cosine):
            ham = sorted((r["planes"], r["queriesPerSecond"]) for r in lshk_rows
                         if r["method"] == "hamming" and (r["n"], r["queries"], r["k"]) == key)
            if not ham:
                continue
            beating = [p for p, qps in ham if qps > cosine[key][0]]
            losing = [p for p, qps in ham if qps <= cosine[key][0]]
            verdict = (f"Hamming faster at {', '.join(map(str, beating))} bits" if beating else "Hamming never faster") + \
                      (f"; not at {', '.join(map(str, losing))}" if losing and beating else "")
            lines.append([f"{key[0]:,}", key[1], key[2], f"{cosine[key][1]} {g(cosine[key][0])} queries/s",
                          ", ".join(f"{p}: {g(q)}" for p, q in ham), verdict])
        if lines:
            out.append("\n**Where LSH stops beating cosine** (queries/s):\n")
            out.append(table(["N", "Q", "k", "best cosine", "Hamming by bits", "verdict"], lines))

    steps = [load(folder, f"train-step-{f}.json") for f in (64, 128)]
    torch_train = rows_of(load(folder, "torch-train.json"))
    if any(steps) or torch_train:
        out.append("\n**Training step** (batch 600, Conv-4; images/s from the median step):\n")
        rows = [[f"lshk ({s['backend']})", (re.search(r"conv3x3\((\d+)\)", s["network"]) or [None, "?"])[1],
                 f"{s['imagesPerSecond']:.0f}", f"{s['medianStepSeconds'] * 1e3:.2f}"] for s in steps if s]
        rows += [[f"PyTorch {r['form']}", r["filters"], f"{r['images_per_s']:.0f}", f"{r['median_step_s'] * 1e3:.2f}"]
                 for r in torch_train]
        out.append(table(["what", "filters", "images/s", "ms/step"], rows))
    agree = load(folder, "agree.json")
    if agree:
        out.append("\n**GPU against the CPU backend** (scripts/gpu_compare.py):\n")
        out.append(table(["check", "ok", "detail"], [[c["check"], "yes" if c["ok"] else "**NO**", c["detail"]] for c in agree]))
        for d in ("cuda", "cpu"):
            t = load(folder, f"agree-train-{d}.json")
            if t:
                out.append(f"- `lshk train --episodes {t['episodes']}` on {d}: {t['seconds']} s")
    else:
        out.append("\nAgreement checks: not reached.")
    acc, acc_train = load(folder, "accuracy-eval.json"), load(folder, "accuracy-train.json")
    if acc and acc_train:
        described = "; ".join(
            f"{r['ways']}-way {r['shots']}-shot {r['method']}" + ("" if r["method"] == "cosine" else f" {r['hash']} {r['planes']}")
            + f" {100 * r['mean']:.2f} ± {100 * r['ci95']:.2f}"
            for r in rows_of(acc) if r["method"] != "cosine" or r["planes"] == rows_of(acc)[0]["planes"])
        out.append(f"\n**GPU-trained model**: {acc_train['episodes']} episodes in {acc_train['seconds']} s on "
                   f"{acc_train['device']}: {described}")
    else:
        out.append("\nGPU-trained accuracy: not reached.")
    steps_txt = os.path.join(folder, "steps.txt")
    if os.path.exists(steps_txt):
        out.append("\nSteps: " + "; ".join(l.split(" ", 1)[1] for l in open(steps_txt).read().splitlines() if ": exit" in l))
    return "\n".join(out)


def main():
    source = sys.argv[1]
    if os.path.isdir(source):
        print(report(source))
        return
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(source) as tar:
            try:
                tar.extractall(tmp, filter="data")   # refuse links and paths out of tmp (Python >= 3.12)
            except TypeError:
                tar.extractall(tmp)
        print(report(tmp))


if __name__ == "__main__":
    main()
