#!/usr/bin/env python3
"""Evaluation-time levers on a trained 64-bit hash layer, pure Hamming only (issue 9, Session 27).

Each idea changes how an index turns its supports (and a query) into bits, never the network, and keeps matching pure
XNOR + popcount over P bits:

  thresholds  each plane's threshold from the episode's supports: their mean (what `lshk eval --fitted-center
              support` does), their median, or the midpoint of the widest gap between sorted support projections
              (so no support sits near its plane), searched among the central ranks or traded against the distance
              from the mean;
  selection   per episode, keep the P planes (of a larger candidate set) whose support projections spread most
              against the plane's within-class spread on the training classes; candidates are the learned planes,
              ITQ planes fitted on the training classes, or Gaussian planes;
  views       the image embedded as the mean over several distorted views (`lshk embed --views 16`) on the supports
              only, the queries only, or both, each against the float cosine of the same embeddings.

Inputs are `lshk embed` outputs (N x D .npy plus the .txt list of image paths; class = alphabet/character folder) of
the evaluation alphabets, optionally the same with --views 16 (--eval-views) and of the training alphabets (--train,
for the selection's within-class spread and the ITQ fit), and the model file (its hash.weight). Episodes are numpy's
(seeded: 20-way 1-shot, 15 queries per class), the same for every row, so the rows compare with each other, not digit
for digit with `lshk eval`; ties go to the lower support index as in lshk. Run with /usr/bin/python3 (numpy).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'peers'))
from torch_conv4 import read_safetensors, split_hash_planes  # noqa: E402

WAYS, QUERIES = 20, 15
ITQ_ITERATIONS = 50  # Gong & Lazebnik's count, as lshk's ITQ family


def load_embeddings(npy):
    x = np.load(npy).astype(np.float64)
    paths = [p for p in open(npy[:-4] + '.txt').read().split('\n') if p]
    keys = ['/'.join(p.split('/')[-3:-1]) for p in paths]  # alphabet/character
    ids = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return x, np.array([ids[k] for k in keys]), paths


def episodes(labels, count, seed):
    """(support index per class, query indices, query class positions), 1-shot."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    members = {c: np.flatnonzero(labels == c) for c in classes}
    out = []
    for _ in range(count):
        chosen = rng.choice(classes, WAYS, replace=False)
        picks = [rng.choice(members[c], 1 + QUERIES, replace=False) for c in chosen]
        out.append((np.array([p[0] for p in picks]), np.concatenate([p[1:] for p in picks]),
                    np.repeat(np.arange(WAYS), QUERIES)))
    return out


def signs(z):
    b = np.sign(z)
    b[b == 0] = 1
    return b


def top1(scores, truth):
    """Share of rows whose first maximum (lower index on ties) is the true column."""
    return float((scores.argmax(1) == truth).mean())


def cosine_accuracy(supports, queries, truth):
    s = supports / np.linalg.norm(supports, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    return top1(q @ s.T, truth)


def threshold(ps, mode, k):
    """Per-plane thresholds from the supports' projections ps (ways x planes)."""
    if mode == 'mean':
        return ps.mean(0)
    if mode == 'median':
        return np.median(ps, 0)
    s = np.sort(ps, 0)
    cols = np.arange(s.shape[1])
    if mode == 'gap':  # widest gap between ranks k-1 .. n-k (central ranks only, so the bit stays roughly balanced)
        n = len(s)
        gaps = s[k:n - k + 1] - s[k - 1:n - k]
        j = gaps.argmax(0)
        return 0.5 * (s[k - 1 + j, cols] + s[k + j, cols])
    if mode == 'gap-vs-mean':  # widest gap, less k/10 times its midpoint's distance from the mean
        mids = 0.5 * (s[1:] + s[:-1])
        score = (s[1:] - s[:-1]) - 0.1 * k * np.abs(mids - ps.mean(0))
        return mids[score.argmax(0), cols]
    raise ValueError(mode)


def hamming_accuracy(eps, xs, xq, planes, mode='mean', k=0, select=None, noise=None):
    """Pure Hamming accuracy over the episodes; xs / xq embed supports / queries (the same array unless views)."""
    hits = []
    for si, qi, truth in eps:
        ps, pq = xs[si] @ planes.T, xq[qi] @ planes.T
        if select is not None:  # keep the `select` planes whose support spread is largest against their noise
            keep = np.argsort(-((ps - ps.mean(0)) ** 2).mean(0) / noise)[:select]
            ps, pq = ps[:, keep], pq[:, keep]
        t = threshold(ps, mode, k)
        hits.append(top1(signs(pq - t) @ signs(ps - t).T, truth))
    return 100 * float(np.mean(hits))


def within_class_variance(x, y, planes):
    p = x @ planes.T
    means = np.zeros((y.max() + 1, p.shape[1]))
    np.add.at(means, y, p)
    means /= np.bincount(y)[:, None]
    return ((p - means[y]) ** 2).mean(0)


def itq_planes(x, bits, seed):
    """PCA to `bits` dimensions of the training embeddings, then ITQ's rotation; planes through the training mean."""
    v = x - x.mean(0)
    _, vectors = np.linalg.eigh(np.cov(v.T))
    pca = vectors[:, ::-1][:, :bits]
    u = v @ pca
    r = np.linalg.qr(np.random.default_rng(seed).standard_normal((bits, bits)))[0]
    for _ in range(ITQ_ITERATIONS):
        left, _, right = np.linalg.svd(signs(u @ r).T @ u)
        r = (left @ right).T
    return (pca @ r).T


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--eval', required=True, help='lshk embed output of the evaluation alphabets (.npy)')
    ap.add_argument('--eval-views', help='the same images embedded with lshk embed --views N (same order)')
    ap.add_argument('--train', help='lshk embed output of the training alphabets (.npy), for the plane selection')
    ap.add_argument('--episodes', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()

    _, planes = split_hash_planes(read_safetensors(a.model)[0])
    if planes is None:
        raise SystemExit(f"{a.model}: the model stores no hash planes (train it with --hash-bits)")
    w = planes[0].numpy().astype(np.float64)
    bits = w.shape[0]
    x, y, paths = load_embeddings(a.eval)
    eps = episodes(y, a.episodes, a.seed)
    cos = 100 * np.mean([cosine_accuracy(x[s], x[q], t) for s, q, t in eps])
    print(f"20-way 1-shot, {a.episodes} numpy episodes, {bits} learned planes; float cosine {cos:.2f}")
    print("| thresholds from the supports | pure Hamming | behind cosine |")
    print("|---|---:|---:|")
    for mode, k in [('mean', 0), ('median', 0), ('gap', 3), ('gap', 5), ('gap', 7), ('gap', 9),
                    ('gap-vs-mean', 1), ('gap-vs-mean', 3), ('gap-vs-mean', 5), ('gap-vs-mean', 10)]:
        h = hamming_accuracy(eps, x, x, w, mode, k)
        print(f"| {mode}{'' if mode in ('mean', 'median') else f', k = {k}'} | {h:.2f} | {h - cos:+.2f} |")

    if a.train:
        xt, yt, _ = load_embeddings(a.train)
        gauss = np.random.default_rng(a.seed).standard_normal((4 * bits, x.shape[1]))
        rows = [(f'{bits} learned, all', w, None),
                (f'{3 * bits // 4} of the {bits} learned, the first', w[:3 * bits // 4], None),
                (f'{3 * bits // 4} of the {bits} learned, selected per episode', w, 3 * bits // 4),
                (f'{bits} ITQ (training classes)', itq_planes(xt, bits, a.seed), None),
                (f'{bits} of {2 * bits} ITQ, selected per episode', itq_planes(xt, 2 * bits, a.seed), bits),
                (f'{bits} of the {bits} learned and {bits} ITQ, selected per episode', np.vstack([w, itq_planes(xt, bits, a.seed)]), bits),
                (f'{bits} Gaussian', gauss[:bits], None),
                (f'{bits} of {4 * bits} Gaussian, selected per episode', gauss, bits)]
        print("\n| planes (support-mean thresholds) | pure Hamming | behind cosine |")
        print("|---|---:|---:|")
        for name, p, select in rows:
            noise = within_class_variance(xt, yt, p) if select else None
            h = hamming_accuracy(eps, x, x, p, select=select, noise=noise)
            print(f"| {name} | {h:.2f} | {h - cos:+.2f} |")

    if a.eval_views:
        xv, _, paths_v = load_embeddings(a.eval_views)
        if paths_v != paths:
            raise SystemExit(f"{a.eval_views}: its images are not those of {a.eval} in the same order")
        print("\n| views (mean of 16 distorted views) on | float cosine | pure Hamming | behind cosine |")
        print("|---|---:|---:|---:|")
        for name, xs, xq in [('neither', x, x), ('both', xv, xv), ('the supports only', xv, x), ('the queries only', x, xv)]:
            c = 100 * np.mean([cosine_accuracy(xs[s], xq[q], t) for s, q, t in eps])
            h = hamming_accuracy(eps, xs, xq, w)
            print(f"| {name} | {c:.2f} | {h:.2f} | {h - c:+.2f} |")


if __name__ == '__main__':
    main()
