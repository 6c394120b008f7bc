#!/usr/bin/env python3
"""Markdown tables from `lshk eval --csv` files: per task, one row per (model, hash, method), one column per plane count,
and each model's float cosine beside it. Usage: table.py NAME=FILE.csv ... (NAME labels the model in the table)."""
import csv, sys
from collections import defaultdict

rows, models, planes = [], [], set()
for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    models.append(name)
    with open(path) as f:
        for r in csv.DictReader(f):
            if r.get("protocol", "fresh-episodes") != "fresh-episodes":
                continue
            r["model_name"] = name
            rows.append(r)
            if r["method"] != "cosine":
                planes.add(int(r["testing_planes"]))
planes = sorted(planes)
# A family evaluated with more than one centre (fitted planes through the training and the support mean,
# eval --fitted-center training,support) gets the centre in its name, as lshk's own tables do.
centres = defaultdict(set)
for r in rows:
    if r["method"] != "cosine":
        centres[(r["model_name"], r["hash"])].add(r["center"])
label = lambda r: f"{r['hash']} ({r['center']})" if len(centres[(r['model_name'], r['hash'])]) > 1 else r["hash"]
tasks = sorted({(int(r["testing_classes"]), int(r["testing_supports"])) for r in rows}, key=lambda t: (t[1], t[0]))
for ways, shots in tasks:
    print(f"\n**{ways}-way {shots}-shot** (accuracy % ± 95 % CI over 1000 episodes; cosine = the same model's float cosine NN)\n")
    print("| model | cosine | hash | method | " + " | ".join(f"{p} bits" for p in planes) + " |")
    print("|---|---:|---|---|" + "---:|" * len(planes))
    for m in models:
        mine = [r for r in rows if r["model_name"] == m and int(r["testing_classes"]) == ways and int(r["testing_supports"]) == shots]
        cos = next((r for r in mine if r["method"] == "cosine"), None)
        cell = lambda r: f"{float(r['mean']) * 100:.1f} ± {float(r['ci95']) * 100:.1f}"
        table = defaultdict(dict)
        for r in mine:
            if r["method"] != "cosine":
                table[(label(r), r["method"])][int(r["testing_planes"])] = cell(r)
        for (h, method), by in sorted(table.items()):
            print(f"| {m} | {cell(cos) if cos else ''} | {h} | {method} | " + " | ".join(by.get(p, "") for p in planes) + " |")
