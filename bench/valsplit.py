#!/usr/bin/python3
"""bench/valsplit.py TRAIN.csv OUTDIR: splits a training CSV into OUTDIR/fit.csv
and OUTDIR/val.csv (80/20, stratified by label for integer labels, fixed seed 0).
Hyperparameters in the results specs were chosen on these files; the test split
is never looked at while tuning."""
import os
import sys

import numpy as np

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with open(src) as f:
    header = f.readline()
    rows = [line for line in f if line.strip()]
labels = [r.rsplit(",", 1)[1].strip() for r in rows]
rng = np.random.default_rng(0)
val = []
try:
    ints = [int(l) for l in labels]
    for c in sorted(set(ints)):         # stratified: 20% of every class
        idx = [i for i, l in enumerate(ints) if l == c]
        rng.shuffle(idx)
        val += idx[: int(round(0.2 * len(idx)))]
except ValueError:                      # regression targets: a plain random 20%
    idx = list(range(len(rows)))
    rng.shuffle(idx)
    val = idx[: int(round(0.2 * len(idx)))]
val = set(val)
for name, keep in (("fit", lambda i: i not in val), ("val", lambda i: i in val)):
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write(header)
        f.writelines(r for i, r in enumerate(rows) if keep(i))
