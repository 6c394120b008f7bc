#!/usr/bin/env python3
"""Can the 64-bit hash layer alone close the pure-Hamming gap? A probe on frozen embeddings (issue 9).

Inputs are `lshk embed` outputs (N x D .npy plus the .txt list of image paths, class = alphabet/character folder) for
the evaluation alphabets and for the training (background) alphabets, and the hash-trained model file whose
`hash.weight` / `hash.bias` are the learned planes.

It prints
  1. how many projections z = W x + b lie closer to zero than the within-class spread of z (the bits that a query's
     own sign() can flip): the margin statistic;
  2. 20-way 1-shot accuracy (float cosine, asymmetric, pure Hamming; nearest support, ties to the lower index) on the
     evaluation embeddings, before and after fine-tuning only the hash layer on training-class episodes (60-way 5-shot
     5-query, the network frozen) with the query codes hard: sign() forward, tanh(beta z)'s gradient backward
     (straight-through), optionally with Gaussian noise on the query projections.

With --double-bit it prints only 20-way 1-shot pure Hamming of 1-bit codes against double-bit (thermometer) codes of
the trained planes at equal code length (see `double_bit`).

Episodes are numpy's (seeded), not lshk's, so the figures are comparable with each other, not digit for digit with
`lshk eval`. Needs numpy and torch (Debian: python3-numpy python3-torch); run with /usr/bin/python3.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'peers'))
from torch_conv4 import read_safetensors, split_hash_planes  # noqa: E402


def load_planes(path):
    """hash.weight (P x D) and hash.bias (P) from a model file, read by the peers' independent safetensors reader."""
    _, planes = split_hash_planes(read_safetensors(path)[0])
    if planes is None:
        raise SystemExit(f"{path}: the model stores no hash planes (train it with --hash-bits)")
    weight, bias = planes
    return weight.numpy().copy(), bias.numpy().copy()


def load_embeddings(npy):
    x = np.load(npy).astype(np.float32)
    paths = [p for p in open(npy[:-4] + '.txt').read().split('\n') if p]
    keys = ['/'.join(p.split('/')[-3:-1]) for p in paths]  # alphabet/character
    ids = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return x, np.array([ids[k] for k in keys])


def episodes(labels, ways, shots, queries, count, seed):
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    members = {c: np.flatnonzero(labels == c) for c in classes}
    for _ in range(count):
        chosen = rng.choice(classes, ways, replace=False)
        picks = [rng.choice(members[c], shots + queries, replace=False) for c in chosen]
        yield np.concatenate([p[:shots] for p in picks]), np.concatenate([p[shots:] for p in picks])


def signs(z):
    b = np.sign(z)
    b[b == 0] = 1
    return b


def accuracy(x, y, w, bias, count, seed, ways=20, queries=5):
    """20-way 1-shot: float cosine, asymmetric (query real, support bits), pure Hamming; z = W x + b."""
    hits = {'cosine': 0, 'asymmetric': 0, 'hamming': 0}
    total = 0
    for si, qi in episodes(y, ways, 1, queries, count, seed):
        s, q = x[si], x[qi]
        truth = np.repeat(np.arange(ways), queries)
        cos = (q / np.linalg.norm(q, axis=1)[:, None]) @ (s / np.linalg.norm(s, axis=1)[:, None]).T
        zs, zq = s @ w.T + bias, q @ w.T + bias
        bs = signs(zs)
        hits['cosine'] += int((cos.argmax(1) == truth).sum())
        hits['asymmetric'] += int(((zq @ bs.T).argmax(1) == truth).sum())
        hits['hamming'] += int(((signs(zq) @ bs.T).argmax(1) == truth).sum())
        total += len(qi)
    return {k: round(100.0 * v / total, 2) for k, v in hits.items()}


def margins(x, y, w, bias):
    z = x @ w.T + bias
    classes = np.unique(y)
    spread = np.sqrt(np.mean(np.concatenate([(z[y == c] - z[y == c].mean(0)) ** 2 for c in classes])))
    return {'median |z|': round(float(np.median(np.abs(z))), 3), 'within-class rms': round(float(spread), 3),
            'share |z| < within-class rms': round(float((np.abs(z) < spread).mean()), 3)}


def fine_tune(x, y, w, bias, steps, lr, beta, sigma, scale, seed, separate=False, hard_queries=True):
    """Fine-tunes the planes on training-class episodes (network frozen) and returns (query planes, support planes).
    One shared set by default; with `separate`, query planes and support planes of their own, both starting from the
    trained ones (asymmetric hashing: still pure XNOR + popcount at match time, a query hashed with its planes and a
    support with its own). `hard_queries`: sign() forward, tanh(beta z)'s gradient backward for the query codes."""
    torch.manual_seed(seed)
    wq, bq = torch.tensor(w, requires_grad=True), torch.tensor(bias, requires_grad=True)
    ws, bs = (torch.tensor(w.copy(), requires_grad=True), torch.tensor(bias.copy(), requires_grad=True)) if separate else (wq, bq)
    opt = torch.optim.Adam([wq, bq, ws, bs] if separate else [wq, bq], lr=lr)
    xt = torch.tensor(x)
    ways, shots, queries = 60, 5, 5
    truth = torch.arange(ways).repeat_interleave(queries)
    for si, qi in episodes(y, ways, shots, queries, steps, seed):
        zs = xt[si] @ ws.T + bs
        zq = xt[qi] @ wq.T + bq
        if sigma > 0:
            zq = zq + sigma * torch.randn_like(zq)
        soft = torch.tanh(beta * zq)
        codes_q = soft + (torch.sign(zq) - soft).detach() if hard_queries else soft
        means = torch.tanh(beta * zs).reshape(ways, shots, -1).mean(1)
        logits = scale * torch.nn.functional.normalize(codes_q, dim=1) @ torch.nn.functional.normalize(means, dim=1).T
        loss = torch.nn.functional.cross_entropy(logits, truth)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (wq.detach().numpy(), bq.detach().numpy()), (ws.detach().numpy(), bs.detach().numpy())


def accuracy_asymmetric(x, y, query_planes, support_planes, count, seed, ways=20, queries=5):
    """20-way 1-shot pure Hamming with a query hashed by the query planes and a support by the support planes."""
    hits = total = 0
    for si, qi in episodes(y, ways, 1, queries, count, seed):
        truth = np.repeat(np.arange(ways), queries)
        bq = signs(x[qi] @ query_planes[0].T + query_planes[1])
        bs = signs(x[si] @ support_planes[0].T + support_planes[1])
        hits += int(((bq @ bs.T).argmax(1) == truth).sum())
        total += len(qi)
    return {'hamming': round(100.0 * hits / total, 2)}


def thermometer(z, threshold):
    """Two bits per projection, [z > -t, z > t] as +-1: three levels, and the Hamming distance between two such codes is
    the difference of their levels (Kong & Li's double-bit quantisation): a projection near its plane lands in the
    middle level, one bit from either side, instead of a coin flip two levels apart."""
    return np.concatenate([signs(z + threshold), signs(z - threshold)], 1)


def double_bit(x, y, w, bias, spread, count, seed, ways=20, queries=5):
    """20-way 1-shot pure Hamming, support-mean centred, at equal bits: 64 planes x 1 bit against a seeded half of the
    planes x 2 thermometer bits, thresholds +-a x each plane's standard deviation on the training alphabets; and all
    planes x 2 bits (twice the bits) against the 1-bit codes for scale."""
    half = np.sort(np.random.default_rng(0).choice(len(bias), len(bias) // 2, replace=False))
    every = np.arange(len(bias))
    variants = [(f'{len(every)} planes x 1 bit', every, None), (f'{len(half)} planes x 1 bit', half, None)]
    variants += [(f'{len(half)} planes x 2 bits, t = {a} sd', half, a) for a in (0.1, 0.2, 0.35, 0.5, 0.75)]
    variants += [(f'{len(every)} planes x 2 bits, t = {a} sd', every, a) for a in (0.2, 0.35, 0.5)]
    hits = [0] * len(variants)
    total = 0
    for si, qi in episodes(y, ways, 1, queries, count, seed):
        truth = np.repeat(np.arange(ways), queries)
        zs, zq = x[si] @ w.T + bias, x[qi] @ w.T + bias
        centre = zs.mean(0)
        zs, zq = zs - centre, zq - centre
        for i, (_, planes, a) in enumerate(variants):
            if a is None:
                bs, bq = signs(zs[:, planes]), signs(zq[:, planes])
            else:
                bs, bq = thermometer(zs[:, planes], a * spread[planes]), thermometer(zq[:, planes], a * spread[planes])
            hits[i] += int(((bq @ bs.T).argmax(1) == truth).sum())
        total += len(qi)
    return {name: round(100.0 * h / total, 2) for (name, _, _), h in zip(variants, hits)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--eval', required=True, help='lshk embed output (.npy) of the evaluation alphabets')
    ap.add_argument('--train', required=True, help='lshk embed output (.npy) of the training alphabets')
    ap.add_argument('--episodes', type=int, default=1000)
    ap.add_argument('--steps', type=int, default=1500)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--asymmetric', action='store_true',
                    help='also fine-tune separate query and support planes (asymmetric hashing) against the symmetric fine-tune')
    ap.add_argument('--double-bit', action='store_true',
                    help='only compare 1-bit codes with double-bit (thermometer) codes of the trained planes at equal bits')
    args = ap.parse_args()
    torch.set_num_threads(1)
    w, bias = load_planes(args.model)
    xe, ye = load_embeddings(args.eval)
    xt, yt = load_embeddings(args.train)
    if args.double_bit:
        spread = (xt @ w.T + bias).std(0)
        for name, value in double_bit(xe, ye, w, bias, spread, args.episodes, args.seed).items():
            print(f'double-bit probe, 20-way 1-shot pure Hamming (support-mean centred), {name}: {value}', flush=True)
        return
    print('margins, evaluation alphabets:', margins(xe, ye, w, bias))
    print('margins, training alphabets:  ', margins(xt, yt, w, bias))
    print('trained planes:', accuracy(xe, ye, w, bias, args.episodes, args.seed), flush=True)
    for sigma in (0.0, 0.15):
        tuned, _ = fine_tune(xt, yt, w, bias, args.steps, lr=3e-3, beta=6.0, sigma=sigma, scale=10.0, seed=args.seed)
        print(f'hash layer fine-tuned ({args.steps} episodes, straight-through query codes, noise {sigma}):',
              accuracy(xe, ye, *tuned, args.episodes, args.seed), flush=True)
    if args.asymmetric:
        for hard in (False, True):
            q, s = fine_tune(xt, yt, w, bias, args.steps, lr=3e-3, beta=6.0, sigma=0.0, scale=10.0, seed=args.seed,
                             separate=True, hard_queries=hard)
            print(f'separate query and support planes fine-tuned ({args.steps} episodes, '
                  f'{"straight-through" if hard else "relaxed"} query codes):',
                  accuracy_asymmetric(xe, ye, q, s, args.episodes, args.seed), flush=True)


if __name__ == '__main__':
    main()
