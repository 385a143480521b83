#!/usr/bin/python3
"""bench/bench_torch.py: PyTorch (Debian's python3-torch) on the same nets and
data as the other `make bench` drivers.

Usage: bench_torch.py NET DATA.bin BATCHES THREADS [infer]
torch.nn.Linear layers, torch.optim.SGD (plain, no momentum); a training step
is zero_grad, forward, loss (CrossEntropyLoss on the logits, or MSELoss after
a sigmoid for xor), backward, step. Inference is model(x) on one sample under
torch.inference_mode(). Same timing protocol and RESULT lines as
bench/bench_common.h. bench/run.sh sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS to THREADS as well, since Debian's torch calls the
system BLAS (libblas.so.3) for the matrix products.
"""
import os
import sys
import time

import numpy as np
import torch

NETS = {
    "xor": ([2, 2, 1], "sigmoid", "mse"),
    "iris": ([4, 16, 3], "tanh", "ce"),
    "digits": ([64, 32, 10], "relu", "ce"),
    "mnist": ([784, 128, 10], "relu", "ce"),
    "wide": ([784, 512, 512, 10], "relu", "ce"),
}


def load(path):
    raw = open(path, "rb").read()
    n, nin, nout = np.frombuffer(raw, dtype=np.int32, count=3)
    off = 12
    x = np.frombuffer(raw, dtype=np.float32, count=n * nin, offset=off).reshape(n, nin)
    off += 4 * n * nin
    t = np.frombuffer(raw, dtype=np.float32, count=n * nout, offset=off).reshape(n, nout)
    off += 4 * n * nout
    label = np.frombuffer(raw, dtype=np.int32, count=n, offset=off)
    return torch.from_numpy(x.copy()), torch.from_numpy(t.copy()), torch.from_numpy(label.astype(np.int64))


def make(sizes, act):
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append({"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[act]())
    return torch.nn.Sequential(*layers)


def run(impl, net, mode, batch, threads, step):
    target = float(os.environ.get("BENCH_TIME") or 0.2)
    reps = min(max(int(float(os.environ.get("BENCH_REPS") or 5)), 1), 64)
    steps = 1
    while True:
        t0 = time.perf_counter()
        step(steps)
        dt = time.perf_counter() - t0
        if dt > target / 8 or steps > 1 << 40:
            steps = int(steps * target / max(dt, 1e-9)) + 1
            break
        steps *= 2
    v = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step(steps)
        dt = time.perf_counter() - t0
        v.append(dt * 1e9 / steps if mode == "infer" else steps * batch / dt)
    v.sort()
    med = v[reps // 2] if reps % 2 else 0.5 * (v[reps // 2 - 1] + v[reps // 2])
    print(f"RESULT impl={impl} net={net} mode={mode} batch={batch} threads={threads} "
          f"med={med:.6g} min={v[0]:.6g} max={v[-1]:.6g} reps={reps} steps={steps}", flush=True)


def main():
    if len(sys.argv) < 5:
        print("usage: bench_torch.py NET DATA.bin BATCHES THREADS [infer]", file=sys.stderr)
        sys.exit(2)
    net, path, batches, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    sizes, act, loss_kind = NETS[net]
    x, t, label = load(path)
    n = x.shape[0]
    lr = float(os.environ.get("BENCH_LR") or 0.01)
    if len(sys.argv) > 5 and sys.argv[5] == "infer":
        model = make(sizes, act)
        pos = [0]

        def infer(steps):
            with torch.inference_mode():
                p = pos[0]
                for _ in range(steps):
                    if p >= n:
                        p = 0
                    model(x[p:p + 1])
                    p += 1
                pos[0] = p

        run("torch", net, "infer", 1, threads, infer)
        return
    # Which BLAS the matrix products went to (Debian's torch uses libblas.so.3).
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    print("CORE torch blas=" + ",".join(libs) + f" threads={torch.get_num_threads()}", flush=True)
    for batch in [int(b) for b in batches.split(",")]:
        model = make(sizes, act)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        pos = [0]
        last = [0.0]
        if loss_kind == "ce":
            lossf = torch.nn.CrossEntropyLoss()
            target = label
        else:
            lossf = torch.nn.MSELoss()
            target = t

        def train(steps):
            p = pos[0]
            for _ in range(steps):
                if p + batch > n:
                    p = 0
                opt.zero_grad(set_to_none=True)
                out = model(x[p:p + batch])
                if loss_kind == "mse":
                    out = torch.sigmoid(out)
                loss = lossf(out, target[p:p + batch])
                loss.backward()
                opt.step()
                p += batch
                last[0] = loss
            pos[0] = p

        run("torch", net, "train", batch, threads, train)
        print(f"LOSS impl=torch net={net} batch={batch} loss={float(last[0]):.6g}", flush=True)
        if not torch.isfinite(last[0]):
            print(f"bench_torch: {net} b{batch}: loss {float(last[0])}", file=sys.stderr)


if __name__ == "__main__":
    main()
