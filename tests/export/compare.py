"""tests/export/compare.py PREDICT.csv EXPORT.csv TOL: the exported network's
outputs (EXPORT.csv, from driver.c) against `netc predict`'s (PREDICT.csv; its
header and class column are skipped). Each row must agree to relative error
max_k |a_k - b_k| / max_k |b_k| <= TOL (the error relative to the row's output
vector). Elementwise relative errors are printed too: on outputs much smaller
than the row's largest (softmax tails) they measure the logits' absolute
rounding, so they are reported, not required (docs/export.md)."""
import sys

import numpy as np

ref_lines = [l for l in open(sys.argv[1]).read().split("\n") if l]
k = sum(1 for h in ref_lines[0].split(",") if h.startswith("output_"))
ref = np.array([[float(v) for v in l.split(",")[:k]] for l in ref_lines[1:]]).reshape(-1, k)
got = np.array([[float(v) for v in l.split(",")] for l in open(sys.argv[2]).read().split("\n")
                if l]).reshape(-1, k)
tol = float(sys.argv[3])
if ref.shape != got.shape:
    print("shape %s vs %s" % (ref.shape, got.shape))
    sys.exit(1)
diff = np.abs(ref - got)
scale = np.abs(ref).max(1)
row = np.where(scale > 0, diff.max(1) / np.where(scale > 0, scale, 1), diff.max(1))
den = np.maximum(np.abs(ref), np.abs(got))
elem = np.where(den > 0, diff / np.where(den > 0, den, 1), 0)
if k > 1:
    same = (ref.argmax(1) == got.argmax(1)).mean()
else:
    same = ((ref >= 0.5) == (got >= 0.5)).mean()
bad = int((row > tol).sum())
print("%d rows: worst %.2g relative (per row), %.2g elementwise, same class %.1f%%%s"
      % (len(ref), row.max(), elem.max(), 100 * same, ", %d rows over %g" % (bad, tol) if bad else ""))
sys.exit(1 if bad else 0)
