#!/usr/bin/python3
"""Built-in activations and losses against their formula twins.

For each built-in with a formula form (e.g. `sigmoid` vs `1/(1+exp(-z))`), two
specs differ only in that op. Both get the same random parameters and data;
`netc grad` must give the same loss and gradient to rounding (1e-12 relative).

usage: twins.py NETC
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "torch"))
import crosscheck  # noqa: E402  (weights writer, data maker, output parser)

TOL = 1e-12

ACTIVATIONS = [  # (built-in, formula body over z)
    ("linear", "z"),
    ("step", "where(z >= 0, 1, 0)"),
    ("sigmoid", "1 / (1 + exp(-z))"),
    ("tanh", "(exp(2*z) - 1) / (exp(2*z) + 1)"),
    ("relu", "max(z, 0)"),
    ("leaky_relu(0.1)", "where(z > 0, z, 0.1*z)"),
    ("elu(0.5)", "where(z > 0, z, 0.5*(exp(z) - 1))"),
    ("softplus", "log(1 + exp(z))"),
]
LOSSES = [  # (output activation, built-in loss, twin output activation, formula over y, t)
    ("linear", "mse", "linear", "0.5*(y - t)^2"),
    ("tanh", "mae", "tanh", "abs(y - t)"),
    ("linear", "hinge", "linear", "max(0, 1 - t*y)"),
    ("sigmoid", "bce", "linear", "max(y, 0) - y*t + log(1 + exp(-abs(y)))"),
]


def spec(name, hidden, out_act, loss_line, extra=""):
    return (f"network {name}\nprecision double\ninput x[3]\n{extra}"
            f"dense h[4] {hidden}\ndense y[2] {out_act}\n{loss_line}\n")


def grad(netc, path, wpath, dpath):
    run = subprocess.run([netc, "grad", str(path), "--weights", str(wpath), "--data", str(dpath)],
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr.strip()[-300:])
    loss = float(run.stdout.split("\n")[0].split()[1])
    g = [float(l.split()[2]) for l in run.stdout.splitlines() if l.startswith("grad ")]
    return loss, np.array(g)


def compare(netc, d, name, text_a, text_b, signed=False):
    a, b = Path(d) / f"{name}_a.net", Path(d) / f"{name}_b.net"
    a.write_text(text_a)
    b.write_text(text_b)
    info = crosscheck.json.loads(subprocess.run([netc, "inspect", str(a), "--json"], check=True,
                                                capture_output=True, text=True).stdout)
    rng = np.random.default_rng(7)
    params = rng.normal(scale=0.8, size=info["num_params"])
    x = rng.normal(size=(6, 3))
    t = rng.choice([-1.0, 1.0], size=(6, 2)) if signed else rng.integers(0, 2, size=(6, 2)) * 1.0
    if not signed and "mse" in text_a:
        t = rng.normal(size=(6, 2))
    rows = ["f0,f1,f2,t0,t1"] + [",".join("%.17g" % v for v in list(x[r]) + list(t[r]))
                                  for r in range(6)]
    dpath = Path(d) / f"{name}.csv"
    dpath.write_text("\n".join(rows) + "\n")
    wpath = Path(d) / f"{name}.weights"
    crosscheck.write_weights(wpath, info, params)
    try:
        la, ga = grad(netc, a, wpath, dpath)
        lb, gb = grad(netc, b, wpath, dpath)
    except RuntimeError as e:
        return False, str(e)
    err = max(crosscheck.worst_rel([la], [lb], 1e-6), crosscheck.worst_rel(ga, gb, 1e-6))
    return err <= TOL, "max rel difference %.2g (loss %.6g)" % (err, la)


def main():
    netc = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        cases = []
        for builtin, body in ACTIVATIONS:
            name = builtin.split("(")[0]
            cases.append((name, spec("a", builtin, "linear", "loss mse"),
                          spec("b", "twin", "linear", "loss mse",
                               f"activation twin(z) = {body}\n"), False))
        for out_act, loss, twin_act, body in LOSSES:
            cases.append((f"loss_{loss}", spec("a", "tanh", out_act, f"loss {loss}"),
                          spec("b", "tanh", twin_act, f"loss twin(y, t) = {body}"),
                          loss == "hinge"))
        for name, text_a, text_b, signed in cases:
            ok, msg = compare(netc, d, name, text_a, text_b, signed)
            print("%s formulas/twin-%s: %s" % ("ok  " if ok else "FAIL", name, msg), flush=True)
            failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
