#!/usr/bin/env python3
"""Conv-4 training throughput in PyTorch with cuDNN on a CUDA GPU: the peer of `lshk bench train --device cuda`.

The same step as bench/peers/torch_train_bench.py (forward, prototypical loss of a 60-way 5-shot 5-query episode,
batch 600 of 1x28x28 random images, backward, Adam lr 1e-3), in the forms a PyTorch user would pick on a GPU:
strict float32 (TF32 off, as lshk computes), PyTorch's defaults (cuDNN may use TF32 for convolutions), channels_last,
and bf16 autocast. cudnn.benchmark is on. Each step is timed with CUDA events after warm-up; the median counts.
Run:  python3 bench/peers/torch_train_gpu.py [--filters 64 128] [--steps 30] [--out rows.json]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_conv4 import prototypical_loss, training_setup  # noqa: E402

FORMS = {
    # name: (allow tf32, channels_last, autocast dtype)
    "fp32-strict": (False, False, None),
    "fp32-default": (True, False, None),
    "fp32-default-channels_last": (True, True, None),
    "bf16-autocast-channels_last": (True, True, torch.bfloat16),
}


def time_form(form, filters, args):
    tf32, channels_last, autocast = FORMS[form]
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    ways = args.batch // (args.shots + args.queries)
    model, x, opt = training_setup(filters, args.batch, channels_last, device="cuda")

    def step():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cuda", dtype=autocast, enabled=autocast is not None):
            loss = prototypical_loss(model(x).float(), ways, args.shots, args.queries)
        loss.backward()
        opt.step()
        return loss

    first = float(step())
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(args.steps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        loss = step()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    times.sort()
    median = times[len(times) // 2]
    return dict(gpu=torch.cuda.get_device_name(0), form=form, filters=filters, batch=args.batch,
                median_step_s=median, best_step_s=times[0], images_per_s=args.batch / median,
                first_loss=first, last_loss=float(loss))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filters", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--forms", nargs="+", default=list(FORMS), choices=list(FORMS))
    ap.add_argument("--batch", type=int, default=600)
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--out")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to PyTorch")
    rows = []
    for filters in args.filters:
        for form in args.forms:
            row = time_form(form, filters, args)
            rows.append(row)
            print(f"{row['gpu']}: torch Conv-4 F={filters} {form}: {row['images_per_s']:.0f} images/s "
                  f"(median step {row['median_step_s'] * 1e3:.2f} ms, loss {row['first_loss']:.3f} -> {row['last_loss']:.3f})",
                  flush=True)
            if args.out:
                with open(args.out, "w") as f:
                    json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
