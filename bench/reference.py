#!/usr/bin/python3
"""bench/reference.py: the reference columns of the results table.

For every task of bench/tasks.txt it trains, on the same train/test split as
netc and with the same standardization (mean and population std of the training
set; constant features divided by 1):

  sklearn   MLPClassifier / MLPRegressor with the spec's hidden layers and
            activation, as a scikit-learn user would run it: solver lbfgs
            below 1000 training rows, else adam; alpha, learning rate and batch
            size left at their defaults; max_iter 1000 (MNIST: the spec's epochs).
            A spec without hidden layers gives hidden_layer_sizes=() (logistic
            or linear regression fitted by the same solver).
  linear    LogisticRegression / LinearRegression, for specs without hidden layers.
  torch     a plain PyTorch loop that mirrors the spec (netc inspect --json):
            same layers, initialization (he/xavier uniform, zero biases), loss,
            l1/l2 penalty on the weights, optimizer and hyperparameters, batch
            size, epochs, a new shuffle every epoch and a final partial batch;
            one thread (torch.set_num_threads(1)).
  lstsq     the closed-form least-squares fit (numpy), for regression tasks.

Prints one tab-separated line per run: impl, task, seed, test metric (accuracy
in % or MSE), wall seconds of fit time (scaling + training, data already loaded),
CPU seconds (time.process_time: every thread of the process) and a note. Usage:
  bench/reference.py [--netc build/netc] [--libs sklearn,linear,torch,lstsq]
                     [--seeds 1,2,3,4,5] [--only TASK,...] [--mnist-dir DIR]
                     [--mnist-seeds 1,2,3]
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
import warnings

import numpy as np

DATA = "examples/data"


def clock():
    return time.perf_counter(), time.process_time()


def since(t0):
    """(wall, cpu) seconds since t0 = clock()."""
    return time.perf_counter() - t0[0], time.process_time() - t0[1]


def load_csv(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return a[:, :-1], a[:, -1]


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    a = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return a.reshape(dims[0], -1).astype(np.float64) if ndim > 1 else a.astype(np.float64)


def load_task_data(data, mnist_dir):
    if data == "mnist":
        d = mnist_dir
        xtr = load_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))
        ytr = load_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"))
        xte = load_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
        yte = load_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))
        return xtr, ytr, xte, yte
    xtr, ytr = load_csv(os.path.join(DATA, data + ".train.csv"))
    xte, yte = load_csv(os.path.join(DATA, data + ".test.csv"))
    return xtr, ytr, xte, yte


def standardize(xtr, xte):
    """As netc's `scale standard` and sklearn's StandardScaler."""
    mean = xtr.mean(axis=0)
    std = xtr.std(axis=0)
    std[std == 0] = 1.0
    return (xtr - mean) / std, (xte - mean) / std


def spec_scale(spec_path):
    with open(spec_path) as f:
        for line in f:
            m = re.match(r"\s*scale\s+(\w+)", line.split("#")[0])
            if m:
                return m.group(1)
    return "none"


def scaled(model, xtr, xte):
    kind = model.get("scale") or "none"
    if kind == "standard":
        return standardize(xtr, xte)
    if kind == "minmax":
        lo, hi = xtr.min(axis=0), xtr.max(axis=0)
        rng = np.where(hi > lo, hi - lo, 1.0)
        return (xtr - lo) / rng, (xte - lo) / rng
    return xtr, xte


def is_classifier(model):
    return model["loss"] in ("cross_entropy", "bce", "hinge")


def metric(model, pred, yte):
    """Accuracy in % for classifiers, MSE for regression."""
    if is_classifier(model):
        return 100.0 * float(np.mean(pred == yte))
    return float(np.mean((pred - yte) ** 2))


# ---- scikit-learn ----

SK_ACT = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "linear": "identity"}


def run_sklearn(model, data, seed, epochs_cap):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    xtr, ytr, xte, yte = data
    hidden = model["layers"][:-1]
    acts = {l["activation"] for l in hidden}
    if len(acts) > 1 or not acts <= set(SK_ACT):
        return None, 0.0, "sklearn cannot mirror activations %s" % sorted(acts)
    act = SK_ACT[acts.pop()] if acts else "relu"
    solver = "lbfgs" if len(xtr) < 1000 else "adam"
    max_iter = epochs_cap if epochs_cap else 1000
    cls = MLPClassifier if is_classifier(model) else MLPRegressor
    est = cls(hidden_layer_sizes=tuple(l["units"] for l in hidden), activation=act,
              solver=solver, max_iter=max_iter, random_state=seed)
    t0 = clock()
    a, b = scaled(model, xtr, xte)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(a, ytr)
    secs = since(t0)
    note = "%s, %d iterations" % (solver, est.n_iter_)
    return metric(model, est.predict(b), yte), secs, note


def run_linear(model, data, seed):
    from sklearn.linear_model import LinearRegression, LogisticRegression
    xtr, ytr, xte, yte = data
    if len(model["layers"]) != 1:
        return None, 0.0, "not a linear model"
    est = (LogisticRegression(max_iter=1000, random_state=seed) if is_classifier(model)
           else LinearRegression())
    t0 = clock()
    a, b = scaled(model, xtr, xte)
    est.fit(a, ytr)
    secs = since(t0)
    return metric(model, est.predict(b), yte), secs, type(est).__name__


def run_lstsq(model, data):
    xtr, ytr, xte, yte = data
    t0 = clock()
    A = np.c_[xtr, np.ones(len(xtr))]
    w, *_ = np.linalg.lstsq(A, ytr, rcond=None)
    secs = since(t0)
    pred = np.c_[xte, np.ones(len(xte))] @ w
    return float(np.mean((pred - yte) ** 2)), secs, "numpy.linalg.lstsq"


# ---- PyTorch ----

def torch_optimizer(torch, weights, biases, tr):
    """The spec's optimizer with the spec's settings (netc follows torch.optim).
    netc's weight_decay applies to weights only, so biases get their own group.
    Keys missing from `netc inspect --json` take the torch defaults, which are
    netc's defaults too."""
    kind = tr.get("optimizer", "sgd")
    lr = tr.get("lr", 0.01)
    mom = tr.get("momentum", 0.0)
    wd = tr.get("weight_decay", 0.01 if kind == "adamw" else 0.0)
    groups = [{"params": weights, "weight_decay": wd}]
    if biases:
        groups.append({"params": biases, "weight_decay": 0.0})
    if kind in ("sgd", "nesterov"):
        return torch.optim.SGD(groups, lr=lr, momentum=mom, nesterov=kind == "nesterov")
    if kind in ("adam", "adamw"):
        kw = {"lr": lr, "betas": (tr.get("beta1", 0.9), tr.get("beta2", 0.999)),
              "eps": tr.get("eps", 1e-8)}
        return (torch.optim.AdamW if kind == "adamw" else torch.optim.Adam)(groups, **kw)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, momentum=mom, alpha=tr.get("rho", 0.99),
                                   eps=tr.get("eps", 1e-8))
    if kind == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, eps=tr.get("eps", 1e-10))
    if kind == "adadelta":
        return torch.optim.Adadelta(groups, lr=lr, rho=tr.get("rho", 0.9), eps=tr.get("eps", 1e-6))
    raise ValueError("no torch mirror for optimizer %r" % kind)


def run_torch(model, data, seed):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    tr = model["train"]
    if (tr.get("optimizer", "sgd") == "lbfgs" or tr.get("schedule", "constant") != "constant"
            or tr.get("clip", 0) or tr.get("patience", 0) or tr.get("validation", 0)):
        return None, 0.0, "no torch mirror for optimizer %s, schedule %s, clip, early stopping" % (
            tr.get("optimizer"), tr.get("schedule"))
    dtype = torch.float64 if model["precision"] == "double" else torch.float32
    xtr, ytr, xte, yte = data
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    t0 = clock()
    a, b = scaled(model, xtr, xte)
    X = torch.tensor(a, dtype=dtype)
    Xte = torch.tensor(b, dtype=dtype)
    loss_kind = model["loss"]
    if loss_kind == "cross_entropy":
        T = torch.tensor(ytr, dtype=torch.long)
    else:
        T = torch.tensor(ytr, dtype=dtype).reshape(-1, 1)

    weights, biases, acts = [], [], []
    fan_in = model["input"]["size"]
    by_name = {p["name"]: p for p in model["params"]}
    for layer in model["layers"]:
        if layer["activation"] not in ("relu", "tanh", "sigmoid", "linear", "softmax"):
            return None, 0.0, "no torch mirror for %s" % layer["activation"]
        out = layer["units"]
        pw = by_name[layer["name"] + ".w"]
        w = torch.empty(out, fan_in, dtype=dtype)
        if pw["init"] == "he":
            bound = (6.0 / fan_in) ** 0.5
        elif pw["init"] == "xavier":
            bound = (6.0 / (fan_in + out)) ** 0.5
        elif pw["init"] == "zeros":
            bound = 0.0
        else:
            return None, 0.0, "no torch mirror for init %s" % pw["init"]
        w.uniform_(-bound, bound, generator=gen) if bound > 0 else w.zero_()
        weights.append(w.requires_grad_())
        biases.append(torch.zeros(out, dtype=dtype, requires_grad=True) if layer["bias"] else None)
        acts.append(layer["activation"])
        fan_in = out
    opt = torch_optimizer(torch, weights, [b_ for b_ in biases if b_ is not None], tr)
    regs = model.get("regularizers", [])

    def forward(x):
        for w, bias, act in zip(weights, biases, acts):
            x = F.linear(x, w, bias)
            if act == "relu":
                x = torch.relu(x)
            elif act == "tanh":
                x = torch.tanh(x)
            elif act == "sigmoid" and loss_kind != "bce":
                x = torch.sigmoid(x)
            elif act == "softmax" and loss_kind != "cross_entropy":
                x = torch.softmax(x, dim=1)
        return x    # logits for fused bce / cross_entropy

    n, bs, epochs = len(X), min(tr.get("batch", 32), len(X)), tr.get("epochs", 100)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            out = forward(X[idx])
            t = T[idx]
            if loss_kind == "cross_entropy":
                loss = F.cross_entropy(out, t)
            elif loss_kind == "bce":
                loss = F.binary_cross_entropy_with_logits(out, t)
            elif loss_kind == "mse":
                loss = 0.5 * F.mse_loss(out, t)
            elif loss_kind == "mae":
                loss = F.l1_loss(out, t)
            else:
                return None, 0.0, "no torch mirror for loss %s" % loss_kind
            for r in regs:
                for w in weights:
                    loss = loss + (0.5 * r["lambda"] * (w * w).sum() if r["kind"] == "l2"
                                   else r["lambda"] * w.abs().sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
    secs = since(t0)
    with torch.no_grad():
        out = forward(Xte)
    if loss_kind == "cross_entropy":
        pred = out.argmax(dim=1).numpy()
    elif loss_kind == "bce":
        pred = (out[:, 0] >= 0).double().numpy()
    else:
        pred = out[:, 0].double().numpy()
    note = "%s lr=%g, %d epochs, batch %d" % (tr.get("optimizer", "sgd"), tr.get("lr", 0.01),
                                              epochs, bs)
    return metric(model, pred, yte), secs, note


def read_tasks(path):
    tasks = []
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].split()
            if line:
                tasks.append({"name": line[0], "spec": line[1], "data": line[2], "bar": line[3]})
    return tasks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netc", default="build/netc")
    ap.add_argument("--tasks", default="bench/tasks.txt")
    ap.add_argument("--libs", default="sklearn,linear,torch,lstsq")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--mnist-seeds", default=None)
    ap.add_argument("--only", default=None)
    ap.add_argument("--mnist-dir", default="build/data/mnist")
    args = ap.parse_args()
    libs = args.libs.split(",")
    only = set(args.only.split(",")) if args.only else None
    for task in read_tasks(args.tasks):
        if only and task["name"] not in only:
            continue
        if task["data"] == "mnist" and not os.path.exists(
                os.path.join(args.mnist_dir, "train-images-idx3-ubyte.gz")):
            print("reference: %s skipped, no MNIST in %s (make mnist)" % (task["name"],
                  args.mnist_dir), file=sys.stderr)
            continue
        model = json.loads(subprocess.check_output([args.netc, "inspect", task["spec"], "--json"]))
        model["scale"] = model.get("train", {}).get("scale") or spec_scale(task["spec"])
        data = load_task_data(task["data"], args.mnist_dir)
        seeds = [int(s) for s in args.seeds.split(",")]
        if task["data"] == "mnist" and args.mnist_seeds:
            seeds = [int(s) for s in args.mnist_seeds.split(",")]
        epochs_cap = model["train"].get("epochs") if task["data"] == "mnist" else None
        runs = []
        if "lstsq" in libs and not is_classifier(model) and len(model["layers"]) == 1:
            runs.append(("lstsq", [0], lambda s: run_lstsq(model, data)))
        if "linear" in libs and len(model["layers"]) == 1:
            runs.append(("linear", [0], lambda s: run_linear(model, data, s)))
        if "sklearn" in libs:
            runs.append(("sklearn", seeds, lambda s: run_sklearn(model, data, s, epochs_cap)))
        if "torch" in libs:
            runs.append(("torch", seeds, lambda s: run_torch(model, data, s)))
        for impl, run_seeds, fn in runs:
            for s in run_seeds:
                value, secs, note = fn(s)
                if value is None:
                    print("reference: %s %s: %s" % (impl, task["name"], note), file=sys.stderr)
                    break
                print("%s\t%s\t%d\t%.6g\t%.4f\t%.4f\t%s" % (impl, task["name"], s, value,
                                                           secs[0], secs[1], note), flush=True)


if __name__ == "__main__":
    main()
