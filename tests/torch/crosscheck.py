#!/usr/bin/python3
"""PyTorch cross-check of netc's generated forward pass, loss and gradient.

For each spec (every activation, every loss, regularizers, bias on and off,
several layers), this writes random parameters as a netc weights file and
random data as CSV, runs `netc grad` (the generated C in double precision), and
rebuilds the same network with torch.nn.functional in float64 from
`netc inspect --json`. The loss, every gradient entry and every output must
agree to 1e-9 relative for a `precision double` spec. A `precision float` spec
(the float kernels' own code paths) is held to 2e-4: float rounding over a few
layers stays below 5e-5, while a wrong element is off by its whole size.
Prints one `ok`/`FAIL` line per spec.

usage: crosscheck.py NETC SPEC...
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REL_TOL = {"double": 1e-9, "float": 2e-4}
# worst_rel's floor, as a fraction of the largest magnitude
FLOOR = {"double": 1e-6, "float": 1e-3}


def write_weights(path, info, params):
    """The format of docs/weights.md, version 1, in the network's precision."""
    name = info["network"].encode()
    size, code = (4, "f") if info["precision"] == "float" else (8, "d")
    body = b"NETCWTS\0" + struct.pack("<IIQQI", 1, size, int(info["layout_hash"], 16),
                                       len(params), len(name)) + name
    body += struct.pack("<%d%s" % (len(params), code), *params)
    body += struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    Path(path).write_bytes(body)


def make_data(info, rng, rows):
    """Random inputs and targets encoded as the CSV loader expects."""
    n_in, n_out, loss = info["input"]["size"], info["output_size"], info["loss"]
    x = rng.normal(size=(rows, n_in))
    if info["precision"] == "float":    # values a float network reads exactly
        x = x.astype(np.float32).astype(np.float64)
    if loss == "cross_entropy":
        labels = rng.integers(0, n_out, size=rows)
        cols, t = [labels.astype(float)], np.eye(n_out)[labels]
        header = ["label"]
    elif loss in ("bce", "hinge"):
        b = rng.integers(0, 2, size=(rows, n_out)).astype(float)
        t = b if loss == "bce" else 2 * b - 1
        cols = [b[:, k] for k in range(n_out)]
        header = ["label"] if n_out == 1 else ["t%d" % k for k in range(n_out)]
    else:
        t = rng.normal(size=(rows, n_out))
        if info["precision"] == "float":
            t = t.astype(np.float32).astype(np.float64)
        cols = [t[:, k] for k in range(n_out)]
        header = ["label"] if n_out == 1 else ["t%d" % k for k in range(n_out)]
    lines = [",".join(["f%d" % i for i in range(n_in)] + header)]
    for r in range(rows):
        vals = ["%.17g" % v for v in x[r]] + ["%.17g" % c[r] for c in cols]
        lines.append(",".join(vals))
    return x, t, "\n".join(lines) + "\n"


def activation(name, z, layer):
    if name == "linear":
        return z
    if name == "step":
        return (z >= 0).to(z.dtype)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return F.relu(z)
    if name == "leaky_relu":
        return F.leaky_relu(z, layer["alpha"])
    if name == "elu":
        return F.elu(z, layer["alpha"])
    if name == "softplus":
        return F.softplus(z)
    if name == "maxout":
        return z.view(z.shape[0], layer["units"], layer["pieces"]).max(dim=2).values
    if name == "softmax":
        return F.softmax(z, dim=1)
    raise ValueError(name)


def formula_env():
    """The functions a spec formula may call, over float64 tensors (see
    `python_expr` in compiler/inspect.c)."""
    f64 = torch.float64

    def as_t(v):
        return v if torch.is_tensor(v) else torch.tensor(v, dtype=f64)

    return {
        "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus,
        "min": lambda a, b: torch.minimum(as_t(a), as_t(b)),
        "max": lambda a, b: torch.maximum(as_t(a), as_t(b)),
        "where": lambda c, a, b: torch.where(as_t(c) != 0, as_t(a), as_t(b)),
        "lt": lambda a, b: (as_t(a) < as_t(b)).to(f64), "le": lambda a, b: (as_t(a) <= as_t(b)).to(f64),
        "gt": lambda a, b: (as_t(a) > as_t(b)).to(f64), "ge": lambda a, b: (as_t(a) >= as_t(b)).to(f64),
        "eq": lambda a, b: (as_t(a) == as_t(b)).to(f64), "ne": lambda a, b: (as_t(a) != as_t(b)).to(f64),
        "concat": lambda *parts: torch.cat(parts, dim=1),
        "sl": lambda v, lo, hi: v[:, lo:hi],
    }


def user_functions(info, env):
    """Each user-defined activation as a Python function of (z, *params)."""
    for f in info.get("formulas", []):
        if len(f["vars"]) != 1:
            continue
        def make(f):
            def act(z, *args):
                local = dict(env)
                local.update(f["params"])
                local.update(zip(f["params"].keys(), args))
                local[f["vars"][0]] = z
                return eval(f["python"], {}, local)
            return act
        env[f["name"]] = make(f)


def torch_reference(info, params, x, t):
    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    tensors = {q["name"]: q for q in info["params"]}
    target = torch.tensor(t, dtype=torch.float64)
    env = formula_env()
    env.update(info.get("consts", {}))
    user_functions(info, env)
    layers = {l["name"]: l for l in info["layers"]}

    def slice_of(name):
        q = tensors[name]
        return p[q["offset"]:q["offset"] + q["size"]].view(*q["shape"])

    z = h = None
    for node in info.get("nodes", [{"name": info["input"]["name"], "kind": "input"}]):
        if node["kind"] == "input":
            h = torch.tensor(x, dtype=torch.float64)
        elif node["kind"] == "feature":
            h, z = eval(node["python"], {}, env), None
        else:
            layer = layers[node["name"]]
            w = slice_of(layer["name"] + ".w")
            b = slice_of(layer["name"] + ".b").view(-1) if layer["bias"] else None
            z = F.linear(env[layer["from"]] if "from" in layer else h, w, b)
            if layer["activation"] in env and layer["activation"] not in (
                    "sigmoid", "tanh", "softplus"):
                h = env[layer["activation"]](z, *layer.get("args", []))
            else:
                h = activation(layer["activation"], z, layer)
        env[node["name"]] = h
    loss_name = info["loss"]
    custom = {f["name"]: f for f in info.get("formulas", []) if len(f["vars"]) == 2}
    if loss_name in custom:
        f = custom[loss_name]
        local = dict(env)
        local.update(f["params"])
        local[f["vars"][0]], local[f["vars"][1]] = h, target
        per_element = eval(f["python"], {}, local)
        loss = per_element.sum() if f["sum"] else per_element.mean()
    elif loss_name == "mse":
        loss = 0.5 * F.mse_loss(h, target)
    elif loss_name == "mae":
        loss = F.l1_loss(h, target)
    elif loss_name == "bce":
        loss = F.binary_cross_entropy_with_logits(z, target)
    elif loss_name == "cross_entropy":
        loss = F.cross_entropy(z, target.argmax(dim=1))
    elif loss_name == "hinge":
        loss = torch.clamp(1 - target * h, min=0).mean()
    for reg in info["regularizers"]:
        for q in info["params"]:
            if q["regularized"]:
                w = slice_of(q["name"])
                if reg["kind"] == "l1":
                    loss = loss + reg["lambda"] * w.abs().sum()
                else:
                    loss = loss + reg["lambda"] / 2 * (w * w).sum()
    if loss.requires_grad:      # a step output cuts every path to the parameters
        loss.backward()
    grad = p.grad if p.grad is not None else torch.zeros_like(p)
    return loss.item(), grad.numpy(), h.detach().numpy()


def parse_grad_output(text, num_params, rows, n_out):
    loss, grad, out = None, np.zeros(num_params), np.zeros((rows, n_out))
    for line in text.splitlines():
        f = line.split()
        if f[0] == "loss":
            loss = float(f[1])
        elif f[0] == "grad":
            grad[int(f[1])] = float(f[2])
        elif f[0] == "output":
            out[int(f[1]), int(f[2])] = float(f[3])
    return loss, grad, out


def worst_rel(a, b, floor_frac):
    """Largest |a - b| / max(|a|, |b|, floor); floor = floor_frac * the largest
    magnitude, so entries that are zero up to rounding in a sum do not count as
    relative (1e-6 in double; float's rounding is 1e-9 times coarser)."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    floor = max(1e-300, floor_frac * max(np.abs(a).max(initial=0), np.abs(b).max(initial=0)))
    return float((np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)).max(initial=0))


def check(netc, spec, seed):
    info = json.loads(subprocess.run([netc, "inspect", spec, "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    rng = np.random.default_rng(seed)
    params = rng.normal(scale=0.7, size=info["num_params"])
    if info["precision"] == "float":    # the reference starts from the same rounded values
        params = params.astype(np.float32).astype(np.float64)
    rows = int(os.environ.get("CROSSCHECK_ROWS", "5"))
    x, t, csv = make_data(info, rng, rows)
    with tempfile.TemporaryDirectory() as d:
        wpath, dpath = Path(d) / "w.weights", Path(d) / "data.csv"
        write_weights(wpath, info, params)
        dpath.write_text(csv)
        run = subprocess.run([netc, "grad", spec, "--weights", str(wpath), "--data", str(dpath)],
                             capture_output=True, text=True)
    if run.returncode != 0:
        return False, "netc grad failed: " + run.stderr.strip()[-400:]
    c_loss, c_grad, c_out = parse_grad_output(run.stdout, info["num_params"], rows,
                                              info["output_size"])
    t_loss, t_grad, t_out = torch_reference(info, params, x, t)
    fl = FLOOR[info["precision"]]
    errs = {"loss": worst_rel([c_loss], [t_loss], fl), "grad": worst_rel(c_grad, t_grad, fl),
            "output": worst_rel(c_out, t_out, fl)}
    ok = all(e <= REL_TOL[info["precision"]] for e in errs.values())
    return ok, "loss %.3g, grad %.3g, output %.3g (max rel err)" % (
        errs["loss"], errs["grad"], errs["output"])


def main():
    netc, specs = sys.argv[1], sys.argv[2:]
    failed = 0
    for i, spec in enumerate(specs):
        ok, msg = check(netc, spec, 1000 + i)
        print("%s torch/%s: %s" % ("ok  " if ok else "FAIL", Path(spec).stem, msg), flush=True)
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
