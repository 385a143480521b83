# tests/valgrind/mkdata.py INSPECT.json: six rows of made-up data (with a header) that fit
# the network `netc inspect --json` described: inputs, then the targets its loss reads
# (a class index for cross_entropy, 0/1 for bce, -1/+1 for hinge, reals otherwise).
import json, random, sys
m = json.load(open(sys.argv[1]))
random.seed(1)
n_in, k, loss = m["input"]["size"], m["output_size"], m["loss"]
rows = []
for r in range(6):
    x = ["%.3f" % random.uniform(-1, 1) for _ in range(n_in)]
    if loss == "cross_entropy":
        t = [str(r % k)]
    elif loss == "bce":
        t = [str((r + j) % 2) for j in range(k)]
    elif loss == "hinge":
        t = [str(1 if (r + j) % 2 else -1) for j in range(k)]
    else:
        t = ["%.3f" % random.uniform(-1, 1) for _ in range(k)]
    rows.append(",".join(x + t))
ncols = n_in + (1 if loss == "cross_entropy" else k)
print(",".join(["c%d" % j for j in range(ncols)]))
print("\n".join(rows))
