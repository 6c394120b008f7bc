#!/usr/bin/python3
"""Training throughput of Conv-4 in PyTorch on the CPU next to `lshk bench train`, in one run.

Both train the same network (4 x [conv3x3(F) + BN + ReLU + maxpool2], 1x28x28 -> F-d, F = --filters, 64 by default) on the same kind of
step: forward, prototypical loss of a 60-way 5-shot 5-query episode (batch 600), backward, Adam (lr 1e-3),
on random images. PyTorch runs in its best CPU form here: torch.set_num_threads(2), channels_last tensors
(oneDNN convolutions), and Debian's tcmalloc preloaded (the script re-executes itself with
LD_PRELOAD=libtcmalloc_minimal.so.4 when it is present); it also times the default contiguous (NCHW)
layout once and reports the faster. The machine's speed drifts (shared host), so the script interleaves
--rounds rounds of [lshk, PyTorch channels_last] and reports every round, the per-round ratio and the medians.
Run:  /usr/bin/python3 bench/peers/torch_train_bench.py   (needs python3-torch; lshk built in Release)
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=600)
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--filters", type=int, default=64, help="filters per conv of both networks (lshk trains Omniglot with 128 by default)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of lshk then PyTorch")
    ap.add_argument("--lshk", default=peerlib.default_lshk_command(), help="command that runs lshk")
    ap.add_argument("--no-lshk", action="store_true", help="time PyTorch only")
    ap.add_argument("--out", default=os.path.join(peerlib.DEFAULT_OUT_DIR, "train_vs_torch.json"))
    return ap.parse_args()


ARGS = parse_args()
if os.path.exists(TCMALLOC) and TCMALLOC not in os.environ.get("LD_PRELOAD", ""):
    env = dict(os.environ, LD_PRELOAD=(TCMALLOC + " " + os.environ.get("LD_PRELOAD", "")).strip(),
               LSHK_PEERS_NO_PRELOAD_FOR_CHILDREN="1")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import torch  # noqa: E402

from torch_conv4 import prototypical_loss, training_setup  # noqa: E402


def time_torch(channels_last, args):
    ways = args.batch // (args.shots + args.queries)
    model, x, opt = training_setup(args.filters, args.batch, channels_last)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = prototypical_loss(model(x), ways, args.shots, args.queries)
        loss.backward()
        opt.step()
        return float(loss)

    first = None
    for _ in range(args.warmup):
        loss = step()
        first = loss if first is None else first
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
        first = loss if first is None else first
    times.sort()
    return {"layout": "channels_last" if channels_last else "contiguous (NCHW)",
            "images_per_s": args.batch * len(times) / sum(times), "best_images_per_s": args.batch / times[0],
            "median_step_s": times[len(times) // 2], "first_loss": first, "last_loss": loss}


def run_lshk(args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "train.json")
        argv = shlex.split(args.lshk) + ["bench", "train", "--device", "cpu", "--batch", str(args.batch),
                                         "--shots", str(args.shots), "--queries", str(args.queries),
                                         "--steps", str(args.steps), "--warmup", str(args.warmup),
                                         "--threads", str(args.threads), "--filters", str(args.filters), "--json", out]
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "LSHK_PEERS_NO_PRELOAD_FOR_CHILDREN")}
        r = subprocess.run(argv, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"lshk failed (exit {r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
        import json
        with open(out) as f:
            return json.load(f)


def main():
    import statistics
    args = ARGS
    torch.set_num_threads(args.threads)
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
            "ld_preload": os.environ.get("LD_PRELOAD", "")}
    print(f"PyTorch {info['torch']}, {info['threads']} threads, oneDNN {info['mkldnn']}, LD_PRELOAD={info['ld_preload'] or '-'}")
    contiguous = time_torch(False, args)
    print(f"PyTorch contiguous (NCHW), once: {contiguous['images_per_s']:.1f} images/s", flush=True)
    rounds = []
    for r in range(args.rounds):
        lshk = None if args.no_lshk else run_lshk(args)
        channels_last = time_torch(True, args)
        best = max((channels_last, contiguous), key=lambda t: t["images_per_s"])
        row = {"round": r + 1, "torch_images_per_s": channels_last["images_per_s"], "torch_median_step_s": channels_last["median_step_s"]}
        if lshk:
            row.update({"lshk_images_per_s": lshk["imagesPerSecond"], "lshk_median_step_s": lshk["medianStepSeconds"],
                        "lshk_peak_ws_mib": lshk["peakWorkingSetBytes"] / 2**20,
                        "ratio": lshk["imagesPerSecond"] / channels_last["images_per_s"]})
        rounds.append({"summary": row, "lshk": lshk, "pytorch_channels_last": channels_last})
        print(f"round {r + 1}: " + (f"lshk {row['lshk_images_per_s']:.1f} img/s, " if lshk else "")
              + f"PyTorch channels_last {row['torch_images_per_s']:.1f} img/s"
              + (f", ratio {row['ratio']:.2f}x" if lshk else ""), flush=True)
    rows = [r["summary"] for r in rounds]
    print()
    peerlib.print_table(rows, [("round", "round", None), ("lshk_images_per_s", "lshk img/s", "{:.1f}"),
                               ("torch_images_per_s", "PyTorch img/s", "{:.1f}"), ("ratio", "lshk/PyTorch", "{:.2f}"),
                               ("lshk_median_step_s", "lshk s/step", "{:.3f}"),
                               ("torch_median_step_s", "PyTorch s/step", "{:.3f}"),
                               ("lshk_peak_ws_mib", "lshk peak WS MiB", "{:.0f}")])
    summary = {"torch_median_images_per_s": statistics.median(r["torch_images_per_s"] for r in rows),
               "torch_contiguous_images_per_s": contiguous["images_per_s"]}
    if not args.no_lshk:
        summary["lshk_median_images_per_s"] = statistics.median(r["lshk_images_per_s"] for r in rows)
        summary["median_ratio"] = statistics.median(r["ratio"] for r in rows)
        summary["min_ratio"] = min(r["ratio"] for r in rows)
        print(f"\nmedian lshk {summary['lshk_median_images_per_s']:.1f} img/s, PyTorch (channels_last) "
              f"{summary['torch_median_images_per_s']:.1f} img/s; ratio median {summary['median_ratio']:.2f}x, "
              f"lowest {summary['min_ratio']:.2f}x")
    peerlib.write_json(args.out, {"benchmark": "train_vs_torch", "machine": peerlib.machine_info(), "torch": info,
                                  "batch": args.batch, "filters": args.filters, "shots": args.shots, "queries": args.queries,
                                  "steps": args.steps, "warmup": args.warmup, "rounds": rounds,
                                  "pytorch_contiguous": contiguous, "summary": summary})


if __name__ == "__main__":
    main()
