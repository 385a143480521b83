"""tests/export/data.py NETC SPEC DIR: a learnable random data set for SPEC,
shaped by `netc inspect --json`: DIR/train.csv (240 rows) and DIR/test.csv
(120 rows), features first (offset and spread so that input scaling matters),
then the targets its loss expects: a class label for cross_entropy, 0/1 for
bce, -1/+1 for hinge, real values otherwise."""
import json
import subprocess
import sys

import numpy as np

netc, spec, out = sys.argv[1:4]
info = json.loads(subprocess.check_output([netc, "inspect", spec, "--json"]))
nin, k, loss = info["input"]["size"], info["output_size"], info["loss"]
rng = np.random.default_rng(7)
a = rng.normal(size=(nin, k))
for name, rows in (("train", 240), ("test", 120)):
    x = rng.normal(size=(rows, nin)) * 3.0 + 1.0
    z = (x - 1.0) @ a / 3.0
    if loss == "cross_entropy":
        t, head = z.argmax(1)[:, None], ["label"]
    elif loss in ("bce", "hinge"):
        t = (z > 0).astype(int)
        if loss == "hinge":
            t = 2 * t - 1
        head = ["label"] if k == 1 else ["t%d" % j for j in range(k)]
    else:
        t, head = np.tanh(z), ["t%d" % j for j in range(k)]
    with open("%s/%s.csv" % (out, name), "w") as f:
        f.write(",".join(["x%d" % i for i in range(nin)] + head) + "\n")
        for r in range(rows):
            f.write(",".join(["%.6g" % v for v in x[r]] + ["%.6g" % v for v in t[r]]) + "\n")
