#!/usr/bin/python3
"""Loads an lshk model file into PyTorch and checks that it reproduces lshk's embeddings (within 1e-4).

By default it first runs `lshk bench train --batch 60 --steps 3 --export DIR` (a few Adam steps, so the batch-norm
running statistics are not the defaults), then builds the matching nn.Sequential from the file's metadata, loads
the tensors with load_state_dict(strict=True) through an independent safetensors reader, computes evaluation-mode
embeddings of DIR/images.npy and compares them with DIR/embeddings.npy. Exit code 1 when they differ.
Network variants: `--variant "--batch-norm off --dropout 0.2 --dropout-at embedding"` passes those options to
`lshk bench train` (the study's network), `--variant all` checks the default and each variant in turn.
Run:  /usr/bin/python3 bench/peers/torch_model_check.py [--dir DIR] [--variant OPTIONS|all]   (needs python3-torch and numpy)
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import peerlib  # noqa: E402
from torch_conv4 import net_from_metadata, read_safetensors, split_hash_planes  # noqa: E402


def check(folder, tolerance):
    tensors, metadata = read_safetensors(os.path.join(folder, "model.safetensors"))
    tensors, planes = split_hash_planes(tensors)   # a hash-trained model's planes sit beside the network
    if planes is not None:
        print(f"hash planes: {tuple(planes[0].shape)} weight, {tuple(planes[1].shape)} bias (family {metadata.get('lshk.hash.family')})")
    model = net_from_metadata(metadata)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    images = torch.from_numpy(np.load(os.path.join(folder, "images.npy")))
    expected = np.load(os.path.join(folder, "embeddings.npy"))
    with torch.no_grad():
        got = model(images).numpy()
    diff = float(np.max(np.abs(got - expected)))
    tracked = {k: int(v) for k, v in tensors.items() if k.endswith("num_batches_tracked")}
    print(f"{metadata.get('lshk.description')}: {len(tensors)} tensors loaded (strict), num_batches_tracked {tracked}")
    print(f"{images.shape[0]} images: max |PyTorch - lshk| = {diff:.3g} (tolerance {tolerance:g}), "
          f"embedding scale {float(np.max(np.abs(expected))):.3g}")
    return diff <= tolerance


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="an existing `lshk bench train --export` folder (default: make one)")
    ap.add_argument("--lshk", default=peerlib.default_lshk_command())
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--variant", default="", help='extra `lshk bench train` options, or "all" for every variant below')
    args = ap.parse_args()
    if args.dir:
        ok = check(args.dir, args.tolerance)
    else:
        variants = VARIANTS if args.variant == "all" else [args.variant]
        ok = all([export_and_check(args.lshk, v, args.tolerance) for v in variants])
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


# The default network, the 2018 study's switches alone and together, and the wider embeddings (see `lshk train --help`).
VARIANTS = [
    "",
    "--batch-norm off",
    "--dropout 0.2 --dropout-at blocks",
    "--dropout 0.2 --dropout-at embedding",
    "--batch-norm off --dropout 0.2 --dropout-at embedding",
    "--size 32",
    "--final-pool off",
    "--final-pool average",
]


def export_and_check(lshk, variant, tolerance):
    with tempfile.TemporaryDirectory() as tmp:
        argv = shlex.split(lshk) + ["bench", "train", "--device", "cpu", "--batch", "60", "--steps", "3",
                                    "--warmup", "0", "--export", tmp] + shlex.split(variant)
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"lshk failed (exit {r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
        print(f"variant [{variant or 'default'}]")
        return check(tmp, tolerance)


if __name__ == "__main__":
    main()
