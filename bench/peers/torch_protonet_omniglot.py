#!/usr/bin/python3
"""The PyTorch reference for `lshk train` + `lshk eval` on Omniglot: a Conv-4 prototypical network trained for a
fixed wall-clock budget on this machine, then evaluated on the evaluation alphabets.

Protocol (the same as lshk's defaults): background alphabets, rotations by 90/180/270 degrees as new classes,
28x28 antialiased, ink = 1; 60-way 5-shot 5-query episodes, Adam lr 1e-3 halved every 2000 episodes, squared
Euclidean prototypical loss. Evaluation: --episodes episodes of 5-way and 20-way 1-shot with 15 queries per class
on the evaluation alphabets; accuracy of cosine nearest neighbour and of Hamming nearest neighbour on 256-bit
SimHash codes (Gaussian planes, embeddings centred on the episode's support mean), mean and 95% CI.
PyTorch runs in its best CPU form: 2 threads, channels_last, Debian's tcmalloc preloaded.

Run:  /usr/bin/python3 bench/peers/torch_protonet_omniglot.py --minutes 12 --out bench/out/torch_protonet.json
"""
import argparse
import io
import json
import math
import os
import sys
import time
import zipfile

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
if os.path.exists(TCMALLOC) and TCMALLOC not in os.environ.get("LD_PRELOAD", ""):
    os.environ["LD_PRELOAD"] = TCMALLOC
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_conv4 import conv_net, prototypical_loss  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_zip(path):
    """{class key: [28x28 float arrays]}, grouped by alphabet/character, ink = 1."""
    classes = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".png"):
                continue
            parts = name.split("/")
            key = parts[-3] + "/" + parts[-2]
            img = Image.open(io.BytesIO(z.read(name))).convert("L").resize((28, 28), Image.BOX)
            classes.setdefault(key, []).append(1.0 - np.asarray(img, dtype=np.float32) / 255.0)
    return [np.stack(v) for _, v in sorted(classes.items())]


def with_rotations(classes):
    return [np.rot90(c, k, axes=(1, 2)).copy() for k in range(4) for c in classes]


def episode(classes, ways, shots, queries, rng):
    chosen = rng.choice(len(classes), ways, replace=False)
    batch = []
    for c in chosen:
        idx = rng.choice(len(classes[c]), shots + queries, replace=False)
        batch.append(classes[c][idx])
    return torch.from_numpy(np.concatenate(batch)[:, None])  # class-major: shots then queries per class


def evaluate(model, classes, ways, shots, queries, episodes, rng, planes):
    model.eval()
    cos_acc, lsh_acc = [], []
    with torch.no_grad():
        for _ in range(episodes):
            x = episode(classes, ways, shots, queries, rng).contiguous(memory_format=torch.channels_last)
            e = model(x).reshape(ways, shots + queries, -1)
            s, q = e[:, :shots].reshape(ways * shots, -1), e[:, shots:].reshape(ways * queries, -1)
            labels = torch.arange(ways).repeat_interleave(queries)
            slabels = torch.arange(ways).repeat_interleave(shots)
            sim = torch.nn.functional.normalize(q, dim=1) @ torch.nn.functional.normalize(s, dim=1).T
            cos_acc.append((slabels[sim.argmax(1)] == labels).float().mean().item())
            center = s.mean(0, keepdim=True)
            w = torch.from_numpy(rng.standard_normal((s.shape[1], planes)).astype(np.float32))
            sb, qb = ((s - center) @ w >= 0), ((q - center) @ w >= 0)
            ham = (qb[:, None, :] != sb[None, :, :]).sum(2)
            lsh_acc.append((slabels[ham.argmin(1)] == labels).float().mean().item())
    model.train()

    def summary(a):
        a = np.array(a)
        return {"mean": float(a.mean()), "ci95": float(1.96 * a.std(ddof=1) / math.sqrt(len(a)))}
    return {"cosine": summary(cos_acc), f"hamming{planes}": summary(lsh_acc)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "datasets", "omniglot"))
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--episodes", type=int, default=1000, help="evaluation episodes per setting")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planes", type=int, default=256)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    train = with_rotations(load_zip(os.path.join(args.data, "images_background.zip")))
    test = load_zip(os.path.join(args.data, "images_evaluation.zip"))
    print(f"loaded {len(train)} training and {len(test)} test classes in {time.time() - t0:.1f} s", flush=True)

    model = conv_net().to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2000, gamma=0.5)
    start, n = time.time(), 0
    while time.time() - start < args.minutes * 60:
        x = episode(train, 60, 5, 5, rng).contiguous(memory_format=torch.channels_last)
        loss = prototypical_loss(model(x), 60, 5, 5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        n += 1
        if n % 50 == 0:
            el = time.time() - start
            print(f"episode {n}: loss {loss.item():.3f}, {n * 600 / el:.0f} images/s, {el:.0f} s", flush=True)
    trained = time.time() - start
    results = {"episodes_trained": n, "train_seconds": trained, "images_per_second": n * 600 / trained,
               "threads": args.threads, "torch": torch.__version__}
    for ways in (5, 20):
        r = evaluate(model, test, ways, 1, 15, args.episodes, np.random.default_rng(args.seed + ways), args.planes)
        results[f"{ways}-way 1-shot"] = r
        print(f"{ways}-way 1-shot: " + ", ".join(f"{k} {v['mean'] * 100:.1f} ± {v['ci95'] * 100:.1f}%" for k, v in r.items()),
              flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
