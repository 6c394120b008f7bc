#!/usr/bin/env python3
"""Support folder for the lshk serve load test: the first drawing of the first N Omniglot characters (background
alphabets, then evaluation ones, ordinal order), one class folder each, named alphabet--character; plus the query PNG
(the second drawing of the first character) and M enrolment PNGs (third drawings) for the mixed run.

usage: prepare.py OMNIGLOT_DIR OUT_DIR [N=1000] [M=200]
"""
import os
import sys
import zipfile

root, out = sys.argv[1], sys.argv[2]
classes = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
extra = int(sys.argv[4]) if len(sys.argv) > 4 else 200

characters = {}
zips = {name: zipfile.ZipFile(os.path.join(root, name)) for name in ("images_background.zip", "images_evaluation.zip")}
for name, z in zips.items():
    for entry in z.namelist():
        if entry.endswith(".png"):
            characters.setdefault((name, os.path.dirname(entry)), []).append(entry)

chosen = sorted(characters)[:classes]
os.makedirs(os.path.join(out, "support"), exist_ok=True)
os.makedirs(os.path.join(out, "enrol"), exist_ok=True)
for i, (zipname, folder) in enumerate(chosen):
    files = sorted(characters[(zipname, folder)])
    parts = folder.split("/")
    label = parts[-2] + "--" + parts[-1]
    z = zips[zipname]  # opened once: reopening reads the whole central directory again
    target = os.path.join(out, "support", label)
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "0.png"), "wb") as f:
        f.write(z.read(files[0]))
    if i == 0:
        with open(os.path.join(out, "query.png"), "wb") as f:
            f.write(z.read(files[1]))
    if i < extra:
        with open(os.path.join(out, "enrol", f"{i}.png"), "wb") as f:
            f.write(z.read(files[2]))
print(f"{len(chosen)} classes in {out}/support, query {out}/query.png, {min(extra, len(chosen))} enrolment images in {out}/enrol")
