#!/usr/bin/python3
"""PyTorch cross-check of libnetrt's optimizers: whole trajectories.

For each network (given as NAME=HARNESS=SPEC: a compiled optim_harness.c and
the double-precision spec it was built from) and each optimizer case, the
harness runs STEPS updates on fixed mini-batches in a fixed order and prints
the parameters after each; this script rebuilds the network in torch (float64,
the harness's initial parameters, the same batches, layout from `netc inspect
--json`) and steps the same torch.optim optimizer (weights and biases as two
parameter groups, so weight decay reaches weights only; StepLR, LambdaLR,
CosineAnnealingLR for schedules; clip_grad_norm_ for clipping;
LBFGS(line_search_fn='strong_wolfe', max_iter=1) for lbfgs). Every parameter
must agree to REL_TOL relative at every step. One `ok`/`FAIL` line per case,
with the largest relative difference seen.

usage: optim_check.py NETC NAME=HARNESS=SPEC...
"""
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REL_TOL = 1e-6
STEPS, BATCH, ROWS = 25, 8, 40          # 5 updates per epoch, 5 epochs
LBFGS_ITERS = 25

# (case name, harness optimizer and options, torch optimizer factory, schedule)
CASES = [
    ("sgd", "sgd lr=0.1", lambda g: torch.optim.SGD(g(0), lr=0.1), None),
    ("sgd_momentum", "sgd lr=0.05 momentum=0.9",
     lambda g: torch.optim.SGD(g(0), lr=0.05, momentum=0.9), None),
    ("nesterov", "nesterov lr=0.05 momentum=0.9",
     lambda g: torch.optim.SGD(g(0), lr=0.05, momentum=0.9, nesterov=True), None),
    ("sgd_weight_decay", "sgd lr=0.1 momentum=0.5 weight_decay=0.05",
     lambda g: torch.optim.SGD(g(0.05), lr=0.1, momentum=0.5), None),
    ("adagrad", "adagrad lr=0.1", lambda g: torch.optim.Adagrad(g(0), lr=0.1), None),
    ("rmsprop", "rmsprop lr=0.01", lambda g: torch.optim.RMSprop(g(0), lr=0.01), None),
    ("rmsprop_momentum", "rmsprop lr=0.005 momentum=0.9 rho=0.9",
     lambda g: torch.optim.RMSprop(g(0), lr=0.005, momentum=0.9, alpha=0.9), None),
    ("adadelta", "adadelta lr=1", lambda g: torch.optim.Adadelta(g(0), lr=1.0), None),
    ("adam", "adam lr=0.01", lambda g: torch.optim.Adam(g(0), lr=0.01), None),
    ("adam_weight_decay", "adam lr=0.01 beta1=0.8 beta2=0.99 eps=1e-7 weight_decay=0.1",
     lambda g: torch.optim.Adam(g(0.1), lr=0.01, betas=(0.8, 0.99), eps=1e-7), None),
    ("adamw", "adamw lr=0.01 weight_decay=0.1",
     lambda g: torch.optim.AdamW(g(0.1), lr=0.01, weight_decay=0.1), None),
    ("sgd_step_schedule", "sgd lr=0.1 momentum=0.9 schedule=step every=2 gamma=0.5",
     lambda g: torch.optim.SGD(g(0), lr=0.1, momentum=0.9), ("step", 2, 0.5)),
    ("adam_step_schedule", "adam lr=0.02 schedule=step every=1 gamma=0.7",
     lambda g: torch.optim.Adam(g(0), lr=0.02), ("step", 1, 0.7)),
    ("sgd_invscaling", "sgd lr=0.2 schedule=invscaling",
     lambda g: torch.optim.SGD(g(0), lr=0.2), ("invscaling", 0.5)),
    ("adam_cosine", "adam lr=0.02 schedule=cosine",
     lambda g: torch.optim.Adam(g(0), lr=0.02), ("cosine", 0.0)),
    ("sgd_clip", "sgd lr=0.5 momentum=0.9 clip=0.3",
     lambda g: torch.optim.SGD(g(0), lr=0.5, momentum=0.9), None),
    ("adam_clip", "adam lr=0.05 clip=0.2", lambda g: torch.optim.Adam(g(0), lr=0.05), None),
]


def inspect(netc, spec):
    out = subprocess.run([netc, "inspect", spec, "--json"], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def make_data(info, path, seed):
    """ROWS random rows; targets encoded as the generated loss expects."""
    rng = np.random.default_rng(seed)
    n_in, n_out = info["input"]["size"], info["output_size"]
    x = rng.normal(size=(ROWS, n_in))
    if info["loss"] == "cross_entropy":
        t = np.eye(n_out)[rng.integers(0, n_out, size=ROWS)]
    else:
        t = rng.normal(size=(ROWS, n_out))
    lines = ["%d %d %d" % (ROWS, n_in, n_out)]
    lines += [" ".join("%.17g" % v for v in list(x[r]) + list(t[r])) for r in range(ROWS)]
    Path(path).write_text("\n".join(lines) + "\n")
    return torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)


class Net:
    """The spec's dense stack in torch: tensors sliced from the flat layout."""

    def __init__(self, info, flat):
        self.info = info
        self.tensors = []
        for q in info["params"]:
            v = flat[q["offset"]:q["offset"] + q["size"]]
            t = torch.tensor(v, dtype=torch.float64).view(*q["shape"]).clone()
            self.tensors.append((q, t.requires_grad_(True)))
        self.by_name = {q["name"]: t for q, t in self.tensors}

    def groups(self, weight_decay):
        w = [t for q, t in self.tensors if q["regularized"]]
        b = [t for q, t in self.tensors if not q["regularized"]]
        return [{"params": w, "weight_decay": weight_decay}, {"params": b, "weight_decay": 0.0}]

    def params(self):
        return [t for _, t in self.tensors]

    def flat(self):
        return torch.cat([t.detach().reshape(-1) for _, t in self.tensors]).numpy()

    def loss(self, x, t):
        h = x
        for layer in self.info["layers"]:
            w = self.by_name[layer["name"] + ".w"]
            b = self.by_name[layer["name"] + ".b"].view(-1) if layer["bias"] else None
            z = F.linear(h, w, b)
            act = layer["activation"]
            h = {"tanh": torch.tanh, "linear": lambda v: v, "softmax": lambda v: v,
                 "sigmoid": torch.sigmoid}[act](z)
        loss_kind = self.info["loss"]
        if loss_kind == "cross_entropy":       # mean over samples, from the logits
            loss = F.cross_entropy(h, t.argmax(dim=1))
        elif loss_kind == "mse":               # (1 / 2NK) sum (y - t)^2
            loss = 0.5 * F.mse_loss(h, t)
        else:
            raise ValueError(loss_kind)
        for r in self.info["regularizers"]:    # l2: (lambda / 2) sum w^2 over weights
            assert r["kind"] == "l2"
            for q, p in self.tensors:
                if q["regularized"]:
                    loss = loss + 0.5 * r["lambda"] * (p * p).sum()
        return loss


def run_harness(harness, data, steps, args):
    out = subprocess.run([harness, data, str(steps), str(BATCH)] + args.split(), check=True,
                         capture_output=True, text=True).stdout
    lines = [l.split() for l in out.splitlines()]
    assert lines[0][0] == "init"
    return np.array([float(v) for v in lines[0][1:]]), lines[1:]


def rel_diff(a, b):
    """Largest |a - b| / max(|a|, |b|) over entries, near-zero pairs judged absolutely."""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return float(np.max(np.abs(a - b) / scale))


def make_scheduler(opt, sched, epochs):
    if sched is None:
        return None, False
    if sched[0] == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=sched[1], gamma=sched[2]), False
    if sched[0] == "invscaling":     # lr / t^power, t counting updates from 1, stepped per update
        power = sched[1]
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda u: 1.0 / (u + 1) ** power), True
    if sched[0] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs,
                                                          eta_min=sched[1]), False
    raise ValueError(sched)


def check_first_order(info, harness, data, x, t, case):
    name, args, make_opt, sched = case
    init, rows = run_harness(harness, data, STEPS, args)
    net = Net(info, init)
    opt = make_opt(net.groups)
    per_epoch = ROWS // BATCH
    scheduler, per_update = make_scheduler(opt, sched, math.ceil(STEPS / per_epoch))
    clip = next((float(a[5:]) for a in args.split() if a.startswith("clip=")), 0.0)
    worst, clipped = 0.0, 0
    for s in range(STEPS):
        start = (s % per_epoch) * BATCH
        opt.zero_grad()
        loss = net.loss(x[start:start + BATCH], t[start:start + BATCH])
        loss.backward()
        lr = opt.param_groups[0]["lr"]
        if clip > 0:
            norm = float(torch.nn.utils.clip_grad_norm_(net.params(), clip))
            clipped += norm > clip
        opt.step()
        if scheduler and (per_update or (s + 1) % per_epoch == 0):
            scheduler.step()
        row = rows[s]
        assert row[0] == "step" and int(row[1]) == s
        c_lr, c_loss, c_params = float(row[2]), float(row[4]), np.array([float(v) for v in row[5:]])
        worst = max(worst, rel_diff(c_params, net.flat()), rel_diff(np.array([c_lr]), np.array([lr])),
                    rel_diff(np.array([c_loss]), np.array([float(loss)])))
    # a clipping case must actually clip, or it tests nothing
    problem = "clipping never triggered" if clip > 0 and clipped == 0 else None
    return worst, problem, "%d steps" % STEPS + (", clipped %d" % clipped if clip > 0 else "")


def check_lbfgs(info, harness, data, x, t):
    init, rows = run_harness(harness, data, LBFGS_ITERS, "lbfgs history=10")
    net = Net(info, init)
    opt = torch.optim.LBFGS(net.params(), lr=1, max_iter=1, history_size=10,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = net.loss(x, t)
        loss.backward()
        return loss

    worst, first_loss, last_loss = 0.0, None, None
    for row in rows:
        opt.step(closure)
        c_params = np.array([float(v) for v in row[4:]])
        worst = max(worst, rel_diff(c_params, net.flat()))
        last_loss = float(row[3])
        first_loss = last_loss if first_loss is None else first_loss
    problem = None
    if len(rows) < 20 and int(rows[-1][2]) != 1:
        problem = "stopped after %d iterations without converging" % len(rows)
    if not last_loss < first_loss:
        problem = "the loss did not decrease"
    return worst, problem, "%d iterations, loss %.6g -> %.6g" % (len(rows), first_loss, last_loss)


def main():
    netc, nets = sys.argv[1], sys.argv[2:]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k, arg in enumerate(nets):
            net_name, harness, spec = arg.split("=", 2)
            info = inspect(netc, spec)
            data = "%s/%s.data" % (tmp, net_name)
            x, t = make_data(info, data, seed=100 + k)
            runs = [(c[0], lambda c=c: check_first_order(info, harness, data, x, t, c))
                    for c in CASES]
            runs.append(("lbfgs", lambda: check_lbfgs(info, harness, data, x, t)))
            for case, fn in runs:
                label = "torch/optim_%s_%s" % (net_name, case)
                try:
                    worst, problem, what = fn()
                except Exception as e:        # a crash is a failure of this case only
                    worst, problem, what = float("nan"), "error: %r" % e, ""
                if problem or not worst <= REL_TOL:
                    failed += 1
                    print("FAIL %s: max relative difference %.3g (limit %g)%s" %
                          (label, worst, REL_TOL, "; " + problem if problem else ""))
                else:
                    print("ok   %s (max relative difference %.2g, %s)" % (label, worst, what))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
