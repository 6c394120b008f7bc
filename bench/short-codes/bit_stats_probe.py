"""Bit statistics of a model's learned 64-bit codes (bench/RESULTS.md, "Session 25").

For the embeddings `lshk embed` wrote of the unpacked Omniglot zips (background = training alphabets, evaluation =
test alphabets), it reports per split:
- batch D: the decorrelation term of `lshk train --hash-decorrelation` (mean over bit pairs of the squared second
  moment of the relaxed codes tanh(6.3 z), 6.3 being beta at 3,900 episodes) over training-like batches of 60 classes x
  6 images, averaged over 50 batches;
- r2: the population mean squared correlation of the sign bits over every pair of bits;
- p_same / p_diff: the fraction of bits that differ between two images of one class / of any two images (bits through
  the split's mean projection, as support-mean centring does per episode), over 20,000 random pairs.

Usage: /usr/bin/python3 bit_stats_probe.py --model M.safetensors --train bg.npy --eval eval.npy
(the .txt path lists `lshk embed` writes beside each .npy name the class folders). Needs numpy and torch (the shared
safetensors reader in ../peers/torch_conv4.py imports it; Debian: python3-numpy python3-torch).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'peers'))
from torch_conv4 import read_safetensors, split_hash_planes  # noqa: E402

BETA_AT_THE_END = 6.3  # sqrt(1 + 3900/100), the relaxation's sharpness when a 12-minute run ends
BATCH_CLASSES, BATCH_IMAGES, BATCHES = 60, 6, 50
PAIRS = 20000


def labels(npy_path):
    with open(os.path.splitext(npy_path)[0] + '.txt') as f:
        paths = [line for line in f.read().split('\n') if line]
    classes = ['/'.join(p.split('/')[-3:-1]) for p in paths]
    return np.unique(classes, return_inverse=True)[1]


def stats(embeddings, y, weight, bias, rng):
    z = embeddings @ weight.T + bias
    relaxed = np.tanh(BETA_AT_THE_END * z)
    planes = weight.shape[0]
    by_class = [np.where(y == c)[0] for c in range(y.max() + 1)]
    batch_d = []
    for _ in range(BATCHES):
        chosen = rng.choice(len(by_class), BATCH_CLASSES, replace=False)
        rows = np.concatenate([rng.choice(by_class[c], BATCH_IMAGES, replace=False) for c in chosen])
        moments = relaxed[rows].T @ relaxed[rows] / len(rows)
        np.fill_diagonal(moments, 0)
        batch_d.append((moments ** 2).sum() / (planes * (planes - 1)))
    correlation = np.corrcoef(np.sign(z).T)
    np.fill_diagonal(correlation, 0)
    bits = np.sign(z - z.mean(0))
    first = rng.integers(0, len(y), PAIRS)
    same = np.array([rng.choice(by_class[y[k]]) for k in first])
    other = rng.integers(0, len(y), PAIRS)
    return (np.mean(batch_d), (correlation ** 2).sum() / (planes * (planes - 1)),
            (bits[first] != bits[same]).mean(), (bits[first] != bits[other]).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', required=True)
    parser.add_argument('--train', required=True, help='embeddings of the training alphabets (.npy)')
    parser.add_argument('--eval', required=True, help='embeddings of the evaluation alphabets (.npy)')
    args = parser.parse_args()
    tensors, _ = read_safetensors(args.model)
    _, planes = split_hash_planes(tensors)
    weight, bias = (np.asarray(t, dtype=np.float64) for t in planes)
    for name, path in (('training', args.train), ('evaluation', args.eval)):
        d, r2, p_same, p_diff = stats(np.load(path).astype(np.float64), labels(path), weight, bias, np.random.default_rng(0))
        print(f'{name}: batch D {d:.4f}  r2 {r2:.4f}  p_same {p_same:.3f}  p_diff {p_diff:.3f}')


if __name__ == '__main__':
    main()
