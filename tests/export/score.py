"""tests/export/score.py OUT.csv TEST.csv: the accuracy (when TEST.csv has a
`label` column and the network several outputs: argmax; one output: >= 0.5)
or the mse (target columns t0, t1, ...) of outputs OUT.csv (driver.c's), printed
as `accuracy A` (a percentage, %.2f) or `mse M`, and the rows: `rows N`."""
import sys

import numpy as np

out = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
head = open(sys.argv[2]).readline().strip().split(",")
data = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, ndmin=2)
if "label" in head:
    lab = data[:, head.index("label")].astype(int)
    pred = out.argmax(1) if out.shape[1] > 1 else (out[:, 0] >= 0.5).astype(int)
    print("accuracy %.2f rows %d" % (100.0 * (pred == lab).mean(), len(lab)))
else:
    t = data[:, [head.index(h) for h in head if h.startswith("t")]]
    print("mse %.6g rows %d" % (((out - t) ** 2).mean(), len(t)))
