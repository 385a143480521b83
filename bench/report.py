#!/usr/bin/python3
"""bench/report.py RESULTS.txt: docs/performance.md from bench/bench.sh's results.

Reads the META, SIZE, PEAK, CORE and RESULT lines the drivers printed and
writes the Markdown page to standard output: method, machine, peak, the
training and inference tables with median [min-max], GFLOP/s and % of the
measured peak, the ratios netc/FANN, netc/PyTorch, netc/OpenBLAS, the
generated code's size and compile time, and each target met or missed.
"""
import re
import sys

NETS = [
    ("xor", "2-2-1 sigmoid, mse", [1, 32]),
    ("iris", "4-16-3 tanh, softmax+CE", [1, 32]),
    ("digits", "64-32-10 relu, softmax+CE", [1, 32]),
    ("mnist", "784-128-10 relu, softmax+CE", [1, 32, 128]),
    ("wide", "784-512-512-10 relu, softmax+CE", [1, 32, 128]),
]
SIZES = {"xor": [2, 2, 1], "iris": [4, 16, 3], "digits": [64, 32, 10], "mnist": [784, 128, 10],
         "wide": [784, 512, 512, 10]}
# impl key, threads -> label
TRAIN_ROWS = [
    ("netc", 1, "netc -O3 -march=native"),
    ("netc-ftz", 1, "netc -O3 -march=native, denormals flushed by the caller (FTZ/DAZ)"),
    ("netc-O2", 1, "netc -O2"),
    ("netc-omp", 2, "netc -O3 -march=native -fopenmp"),
    ("netc-split", 2, "netc, batch split over 2 threads by the caller"),
    ("hand", 1, "hand-written loops -O3 -march=native -ffast-math"),
    ("fann", 1, "FANN 2.2"),
    ("torch", 1, "PyTorch"),
    ("torch", 2, "PyTorch"),
    ("openblas", 1, "OpenBLAS C trainer"),
    ("openblas", 2, "OpenBLAS C trainer"),
    ("openblas-haswell", 1, "OpenBLAS C trainer, Haswell (AVX2) kernel"),
]
INFER_ROWS = [  # implementation, bench mode, column label
    ("netc", "infer", "netc -O3 -march=native"),
    ("netc", "chain", "netc -O3 -march=native, chained"),
    ("netc-O2", "infer", "netc -O2"),
    ("hand", "infer", "hand-written -ffast-math"),
    ("fann", "infer", "FANN fann_run"),
    ("torch", "infer", "PyTorch (inference_mode, 1 thread)"),
]


def params(net):
    s = SIZES[net]
    return sum(s[k + 1] * (s[k] + 1) for k in range(len(s) - 1))


def actual_train_flops(net):
    """Multiply-adds x2 a training step really does per sample: forward and
    weight gradient for every layer, input gradient for all but the first."""
    s = SIZES[net]
    w = [s[k] * s[k + 1] for k in range(len(s) - 1)]
    return 2 * (2 * sum(w) + sum(w[1:]))


def kv(line):
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e5:
        return f"{v / 1e3:.0f} k"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k"
    return f"{v:.0f}"


def fmt_ns(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} µs"
    if v >= 1e3:
        return f"{v / 1e3:.2f} µs"
    return f"{v:.1f} ns"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×"


def main():
    meta, sizes, peaks, cores, res, prof, pairs = {}, {}, {}, [], {}, {}, {}
    for line in open(sys.argv[1]):
        line = line.rstrip("\n")
        if line.startswith("META "):
            k, _, v = line[5:].partition("=")
            meta[k] = v
        elif line.startswith("SIZE "):
            d = kv(line)
            sizes[d["net"]] = d
        elif line.startswith("PEAK "):
            d = kv(line)
            key = (d["isa"], int(d["threads"]))
            # Two probes (before and after the runs): keep the better median.
            if key not in peaks or float(d["med"]) > peaks[key][0]:
                peaks[key] = (float(d["med"]), float(d["min"]), float(d["max"]))
        elif line.startswith("CORE "):
            if line not in cores:
                cores.append(line)
        elif line.startswith("PROFILE "):
            d = kv(line)
            key = (d["net"], d["mode"], int(d["batch"]))
            prof.setdefault(key, []).append((float(d["pct"]), d["dso"], d["sym"]))
        elif line.startswith("PAIR "):
            d = kv(line)
            key = (d["net"], int(d["batch"]), int(d["pair"]))
            pairs.setdefault(key, {})[int(d["threads"])] = float(d["med"])
        elif line.startswith("RESULT "):
            d = kv(line)
            key = (d["impl"], d["net"], d["mode"], int(d["batch"]), int(d["threads"]))
            res[key] = (float(d["med"]), float(d["min"]), float(d["max"]))

    def peak(threads):
        for isa in ("avx512", "avx2"):
            if (isa, threads) in peaks:
                return peaks[(isa, threads)][0]
        return None

    def avx2_peak(threads):
        return peaks.get(("avx2", threads), (None,))[0]

    def train(impl, net, batch, threads):
        r = res.get((impl, net, "train", batch, threads))
        return r[0] if r else None

    def paired(net, batch):
        """2-thread over 1-thread rate from back-to-back pairs: median, min, max, count."""
        r = sorted(p[2] / p[1] for (n, b, _), p in pairs.items()
                   if n == net and b == batch and 1 in p and 2 in p)
        if not r:
            return None
        k = len(r)
        med = r[k // 2] if k % 2 else 0.5 * (r[k // 2 - 1] + r[k // 2])
        return med, r[0], r[-1], k

    def infer(impl, net, mode="infer"):
        r = res.get((impl, net, mode, 1, 1))
        return r[0] if r else None

    def gflops(net, sps):
        return None if sps is None else 6 * params(net) * sps * 1e-9

    out = []
    p = out.append
    top_isa = "avx512" if ("avx512", 1) in peaks else "avx2"
    p("# Performance")
    p("")
    p("Generated by `make bench` (bench/bench.sh, then bench/report.py) on "
      f"{meta.get('date', '?')}; rerun it to regenerate this page. Timing lives "
      "here, never in `make test`.")
    p("")
    try:
        load = max(float(meta.get("load_start", "0").split()[0]),
                   float(meta.get("load_end", "0").split()[0]) - 1.0)
    except ValueError:
        load = 0.0
    try:
        other = float(meta.get("cpu_other", "0")) - float(meta.get("cpu_other_niced", "0"))
    except ValueError:
        other = 0.0
    if other > 10 or (load > 0.5 and "cpu_other" not in meta):
        p(f"**Busy machine.** The 1-minute load average was {meta.get('load_start', '?').split()[0]} "
          f"at the start and {meta.get('load_end', '?').split()[0]} at the end on "
          f"{meta.get('nproc', '?')} CPUs (the benchmark itself adds at most 2), and other "
          f"jobs took {meta.get('cpu_other', '?')}% of the CPU time during the run "
          f"({meta.get('cpu_other_niced', '?')}% at a lower priority): "
          "these figures are low and noisy, the 2-thread ones worst of all (every fork/join "
          "waits for a CPU). Rerun on a quiet machine for real figures.")
        p("")
    else:
        p(f"Conditions: 1-minute load average {meta.get('load_start', '?').split()[0]} at the "
          f"start and {meta.get('load_end', '?').split()[0]} at the end on "
          f"{meta.get('nproc', '?')} CPUs; other jobs took {meta.get('cpu_other', '?')}% of the "
          f"CPU time during the run, {meta.get('cpu_other_niced', '?')}% of it niced (they "
          "yield to the benchmark). Single-thread figures should be near a quiet machine's; "
          "2-thread ones still compete with those jobs for the second CPU.")
        p("")
    if "AMD" not in meta.get("cpu", "AMD"):
        p("The issue's reference figures were quoted for a 2-core AMD Zen 3 (AVX2+FMA, about "
          f"97 GFLOP/s FP32 on one core). This machine's CPU is {meta.get('cpu', '?')} "
          f"(family/model {meta.get('cpu_family_model', '?')}) with AVX-512: compare the "
          "ratios measured here, not absolute figures with those references.")
        p("")
    p("## How to run")
    p("")
    p("```sh")
    p("apt-get install libfann-dev libopenblas-dev python3-torch python3-numpy   # the comparisons")
    p("make bench        # about 5 minutes; writes docs/performance.md")
    p("```")
    p("")
    p("`make bench` says which of these packages are missing and skips their columns. "
      "`BENCH_TIME` (seconds per repeat, default 0.25), `BENCH_REPS` (default 5) and "
      "`BENCH_NETS` (default all five) change the run; build/bench/results.txt keeps the "
      "raw lines.")
    p("")
    p("## Method")
    p("")
    p("- **Same process run, same data.** One command builds every driver and runs them "
      "one after the other; bench/gen_data.c writes one synthetic data set per net "
      "(2048 samples, inputs uniform in [0, 1), uniformly drawn classes as one-hot "
      "targets, XOR of the thresholded inputs for xor) that every implementation reads "
      "from the same file. Batches walk through it in order and wrap around.")
    p("- **A training step** is a full plain-SGD step on the next `batch` samples: forward, "
      "loss, backward (no gradient for the input itself), then p −= lr·g with lr = 0.01. "
      "netc: one call of the generated `NAME_sgd_step` (the gradient and the update "
      "together, bit for bit `NAME_loss_grad` and then p −= lr·g; tests/robust/sgd_step.c), "
      "compiled directly from the generated C (no `NETC_CFLAGS`, no libnetrt). "
      "PyTorch: `torch.nn.Linear` layers, `CrossEntropyLoss` on the logits (`MSELoss` after "
      "a sigmoid for xor), `torch.optim.SGD`, `zero_grad(set_to_none=True)`. OpenBLAS: "
      "bench/bench_blas.c, three `cblas_sgemm` per layer (forward, weight gradient, input "
      "gradient; the last skipped for the first layer), loops for the rest, `cblas_saxpy` "
      "update. Hand-written: bench/bench_hand.c, the obvious triple loops over runtime "
      "sizes, `-O3 -march=native -ffast-math`.")
    p("- **FANN** (bench/bench_fann.c): batch 1 is `fann_train` (FANN_TRAIN_INCREMENTAL); "
      "a batch B > 1 is one `fann_train_epoch` with FANN_TRAIN_BATCH over a B-sample "
      "`fann_train_data` pointing into the data set, i.e. one mini-batch step. FANN cannot "
      "do what the others do in three ways: it has no ReLU (the relu nets use "
      "FANN_LINEAR_PIECE, same cost class), no softmax or cross-entropy (sigmoid outputs "
      "with FANN's MSE error instead), and no batched kernels or threads (it walks the "
      "connections one sample at a time, so its batch B costs B single-sample passes). "
      "Its `fann_get_total_connections` equals the parameter count of each net.")
    p("- **Inference** is one sample per call (`NAME_forward` with n = 1, `fann_run`, "
      "`model(x[i:i+1])`), reported as latency per call. Consecutive calls on different "
      "samples are independent, so the CPU can start one before the last has finished. "
      "netc's *chained* column takes that away: each call's input is the next sample plus "
      "0 × the previous call's first output (the same numbers; without `-ffast-math` the "
      "compiler keeps the product), so a call's time is the latency of its chain of "
      "dependent operations, as in a training step at batch 1, whose forward pass waits for "
      "the previous step's update.")
    p("- **Timing**: per configuration, the step count doubles until a run lasts 1/8 of "
      f"`BENCH_TIME` = {meta.get('bench_time', '0.25')} s (this is also the warm-up), is "
      "scaled to `BENCH_TIME`, then runs `BENCH_REPS` times; the tables give the median and "
      "[min–max] over those repeats, in samples/s (training) or time per call (inference). "
      "Wall clock, `CLOCK_MONOTONIC` (`time.perf_counter` in Python).")
    p("- **GFLOP/s** = 6 × parameters × samples/s for training and 2 × parameters / latency "
      "for inference (the issue's convention). A step really does a little less: no "
      "implementation computes the first layer's input gradient, so the true count is "
      "2 × (2·W + W without the first layer) per sample, "
      + ", ".join(f"{n} {actual_train_flops(n) / (6 * params(n)):.2f}" for n, _, _ in NETS)
      + " of the convention (weights only; biases and activations are extra).")
    p("- **% of peak** is of the measured FMA peak for the same number of threads "
      f"(bench/peak.c, the {top_isa.upper()} figure below; the AVX2 one is given beside "
      "it where the CPU has AVX-512).")
    p("- **Threads**: netc 2 threads is the generated code built with `-fopenmp`, run with "
      "`OMP_NUM_THREADS=2`; its update loops over large tensors are split too. PyTorch "
      "gets `torch.set_num_threads(n)` and `OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=n`, "
      "the OpenBLAS trainer `openblas_set_num_threads(n)`. `netc-split` is netc on 2 "
      "threads without help from the generated code: the driver splits each batch in two "
      "halves, one `NAME_loss_grad` per thread into its own gradient buffer, and combines "
      "them in the update. `OMP_WAIT_POLICY` was "
      f"{meta.get('omp_wait_policy', 'default')}: bench/bench.sh picks `passive` when "
      "other jobs kept a quarter or more of the CPUs busy in 2 seconds just before the runs "
      f"(they kept {meta.get('cpu_busy_before_runs', '?')}%); on a quiet machine the "
      "default's spinning costs nothing and a sleeping thread's wake-up costs every "
      "parallel loop. The 2-thread targets (mnist and wide at batch 32 and 128) are "
      f"measured in {meta.get('bench_pairs', '?')} back-to-back pairs as well: one repeat of the "
      "plain build on 1 thread, then one of the `-fopenmp` build on 2, each pair's ratio "
      "taken, the median reported; the summary's separate runs came minutes apart, and "
      "the second CPU's share drifts more than that between them.")
    p("- **OpenBLAS kernel**: the environment had `OPENBLAS_CORETYPE="
      f"{meta.get('env_OPENBLAS_CORETYPE', '?')}` and `OPENBLAS_L2_SIZE="
      f"{meta.get('env_OPENBLAS_L2_SIZE', '?')}`; the benchmark unsets both (and "
      "`OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`), so OpenBLAS picks its kernel for "
      "this CPU itself. What it picked is listed under Machine.")
    p("")
    p("## Machine")
    p("")
    p("| | |")
    p("|---|---|")
    p(f"| CPU | {meta.get('cpu', '?')} (family/model {meta.get('cpu_family_model', '?')}), "
      f"{meta.get('nproc', '?')} CPUs, hypervisor {meta.get('hypervisor') or 'none'} |")
    p(f"| vector ISA | {meta.get('isa', '?').strip()} |")
    p(f"| caches | {meta.get('caches', '?').strip(';').replace(';', ', ')} |")
    p(f"| compiler | {meta.get('gcc', '?')}; `-march=native` = {meta.get('march_native', '?')}, "
      f"`-mprefer-vector-width={meta.get('prefer_vector_width', '?')}` |")
    p(f"| load average (1, 5, 15 min) | {meta.get('load_start', '?')} at the start, "
      f"{meta.get('load_end', '?')} at the end; other jobs' share of the CPU time during "
      f"the run: {meta.get('cpu_other', '?')}%, of which {meta.get('cpu_other_niced', '?')}% "
      "niced (lower priority than the benchmark) |")
    for c in cores:
        d = kv(c)
        if c.startswith("CORE openblas"):
            p(f"| OpenBLAS | {meta.get('openblas', '?')}, kernel `{d.get('corename')}`, "
              f"{d.get('config', '').strip(chr(34))} |")
            break
    for c in cores:
        if c.startswith("CORE torch"):
            d = kv(c)
            libs = d.get("blas", "").split(",")
            p(f"| PyTorch | {meta.get('torch', '?')}, matrix products through "
              f"{', '.join('`' + x.split('/')[-1] + '`' for x in libs if x)} "
              f"(libblas.so.3 → `{meta.get('libblas3', '?')}`) |")
            break
    p(f"| FANN | {meta.get('fann', '–')} (floatfann) |")
    p(f"| netc | {meta.get('netc', '?')} |")
    if meta.get("missing"):
        p(f"| not installed | {meta['missing']} (their columns are empty) |")
    p("")
    p("Measured FMA peak (bench/peak.c: 12 independent FMA chains per thread, better of the "
      "probes before and after the runs, median of the repeats):")
    p("")
    p("| ISA | 1 thread GFLOP/s | 2 threads GFLOP/s |")
    p("|---|---|---|")
    for isa in ("avx2", "avx512"):
        if (isa, 1) in peaks:
            cells = []
            for t in (1, 2):
                v = peaks.get((isa, t))
                cells.append(f"{v[0]:.1f} [{v[1]:.1f}–{v[2]:.1f}]" if v else "–")
            p(f"| {isa.upper()} ({'256' if isa == 'avx2' else '512'}-bit FMA) | {cells[0]} | {cells[1]} |")
    p("")

    # --- summary with ratios ------------------------------------------------------
    p("## Summary: training samples/s (median) and ratios")
    p("")
    p("netc is the generated code at `-O3 -march=native`; 1T/2T are 1 and 2 threads "
      "(netc 2T: built with `-fopenmp`; netc split 2T: the caller splits the batch). "
      "Ratios are netc over the other at the same thread count and batch.")
    p("")
    p("| net | batch | netc 1T | netc 2T | netc split 2T | FANN | PyTorch 1T | PyTorch 2T | OpenBLAS 1T | "
      "OpenBLAS 2T | hand | netc/FANN | netc/PyTorch 1T | netc/PyTorch 2T | "
      "netc/OpenBLAS 1T | netc/OpenBLAS 2T | netc 2T/1T |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for net, desc, bs in NETS:
        for b in bs:
            n1 = train("netc", net, b, 1)
            n2 = train("netc-omp", net, b, 2)
            fa = train("fann", net, b, 1)
            t1, t2 = train("torch", net, b, 1), train("torch", net, b, 2)
            o1, o2 = train("openblas", net, b, 1), train("openblas", net, b, 2)
            h = train("hand", net, b, 1)
            if all(v is None for v in (n1, n2, fa, t1, t2, o1, o2, h)):
                continue
            p(f"| {net} | {b} | {fmt_rate(n1)} | {fmt_rate(n2)} | "
              f"{fmt_rate(train('netc-split', net, b, 2))} | {fmt_rate(fa)} | "
              f"{fmt_rate(t1)} | {fmt_rate(t2)} | {fmt_rate(o1)} | {fmt_rate(o2)} | "
              f"{fmt_rate(h)} | {fmt_ratio(n1, fa)} | {fmt_ratio(n1, t1)} | "
              f"{fmt_ratio(n2, t2)} | {fmt_ratio(n1, o1)} | {fmt_ratio(n2, o2)} | "
              f"{fmt_ratio(n2, n1)} |")
    p("")

    # --- targets --------------------------------------------------------------------
    p("## Targets")
    p("")
    missed = []

    def target(name, value, goal, ok, how):
        status = "met" if ok else "**missed**"
        p(f"| {name} | {value} | {goal} | {status} |")
        if not ok:
            missed.append((name, how))

    p("| target | measured | goal | |")
    p("|---|---|---|---|")
    for net in ("xor", "iris", "digits"):
        for b in (1, 32):
            n1, fa = train("netc", net, b, 1), train("fann", net, b, 1)
            if n1 and fa:
                r = n1 / fa
                f1 = train("netc-ftz", net, b, 1)
                ftz = (f" ({f1 / fa:.1f}× with denormals flushed by the caller, "
                       f"{fmt_rate(f1)}/s: see Denormals below)" if f1 and f1 > 1.1 * n1 else "")
                target(f"{net} b{b} netc/FANN", f"{r:.1f}×", "≥ 10×", r >= 10,
                       f"{10 / r:.2f}× short: netc {fmt_rate(n1)}/s, FANN {fmt_rate(fa)}/s{ftz}")
    for net, want in (("xor", 1), ("iris", 1), ("digits", 2)):
        for b in (1, 32):
            n1, hd = train("netc", net, b, 1), train("hand", net, b, 1)
            if n1 and hd:
                r = n1 / hd
                target(f"{net} b{b} netc/hand-written -ffast-math", f"{r:.2f}×", f"≥ {want}×",
                       r >= want, f"{want / r:.2f}× short: netc {fmt_rate(n1)}/s, hand-written "
                       f"{fmt_rate(hd)}/s")
    for net, b in (("mnist", 1), ("mnist", 32), ("mnist", 128), ("wide", 128)):
        n1, o1, t1 = (train("netc", net, b, 1), train("openblas", net, b, 1),
                      train("torch", net, b, 1))
        oh = train("openblas-haswell", net, b, 1)
        if n1 and o1:
            r = n1 / o1
            extra = f" ({n1 / oh:.2f}× its AVX2 kernel)" if oh else ""
            target(f"{net} b{b} netc/OpenBLAS (1T)", f"{r:.2f}×{extra}", "≥ 1×", r >= 1,
                   f"{1 / r:.2f}× short: netc {fmt_rate(n1)}/s, OpenBLAS {fmt_rate(o1)}/s")
        if n1 and t1:
            r = n1 / t1
            how = f"{3 / r:.2f}× short: netc {fmt_rate(n1)}/s, PyTorch {fmt_rate(t1)}/s"
            if peak(1):
                # the most any code could train at: every flop it must do at the FMA peak
                bound = peak(1) * 1e9 / actual_train_flops(net)
                how += (f". At the measured {top_isa.upper()} peak ({peak(1):.0f} GFLOP/s) a step's "
                        f"{actual_train_flops(net) / 1e3:.0f} kflop per sample allow at most "
                        f"{fmt_rate(bound)}/s, {bound / t1:.2f}× PyTorch"
                        + (", so 3× cannot be reached on this machine: PyTorch itself runs at "
                           f"{100 * t1 / bound:.0f}% of that bound, netc at {100 * n1 / bound:.0f}%"
                           if bound < 3 * t1 else
                           f"; netc runs at {100 * n1 / bound:.0f}% of that bound"))
            target(f"{net} b{b} netc/PyTorch (1T)", f"{r:.2f}×", "≥ 3×", r >= 3, how)
    n1 = train("netc", "wide", 128, 1)
    if n1 and peak(1):
        g = gflops("wide", n1)
        frac = g / peak(1)
        extra = ""
        if top_isa == "avx512" and avx2_peak(1):
            extra = f" ({100 * g / avx2_peak(1):.0f}% of the AVX2 peak)"
        target("wide b128 % of peak (1T)", f"{100 * frac:.0f}%{extra}", "≥ 75%", frac >= 0.75,
               f"{0.75 / frac:.2f}× short: {g:.1f} GFLOP/s of {peak(1):.1f}")
    for net in ("mnist", "wide"):
        for b in (32, 128):
            n1, n2 = train("netc", net, b, 1), train("netc-omp", net, b, 2)
            ns = train("netc-split", net, b, 2)
            pr = paired(net, b)
            if pr:
                # back-to-back pairs when the run has them: the drift between two
                # separate runs minutes apart is larger than the effect
                r, lo, hi, k = pr
                extra = (f" (median of {k} back-to-back pairs, {lo:.2f}–{hi:.2f}; separate runs: "
                         f"{n2 / n1:.2f}×" if n1 and n2 else f" (median of {k} pairs, {lo:.2f}–{hi:.2f}")
                extra += f"; caller split: {ns / n1:.2f}×)" if ns and n1 else ")"
                target(f"{net} b{b} netc 2 threads / 1", f"{r:.2f}×{extra}", "≥ 1.7×", r >= 1.7,
                       f"{1.7 / r:.2f}× short: the median pair ran {r:.2f}× faster on 2 threads "
                       f"than on 1")
            elif n1 and n2:
                r = n2 / n1
                extra = f" (caller split: {ns / n1:.2f}×)" if ns else ""
                target(f"{net} b{b} netc 2 threads / 1", f"{r:.2f}×{extra}", "≥ 1.7×", r >= 1.7,
                       f"{1.7 / r:.2f}× short: {fmt_rate(n2)}/s on 2 threads, {fmt_rate(n1)}/s on 1")
    for net, goal in (("iris", 25.0), ("mnist", 5000.0)):
        v = infer("netc", net)
        if v:
            target(f"{net} inference latency", fmt_ns(v), f"≤ {fmt_ns(goal)}", v <= goal,
                   f"{v / goal:.2f}× over: {fmt_ns(v)} per sample")
    p("")
    if missed:
        p("### Missed targets, by how much")
        p("")
        for name, how in missed:
            p(f"- **{name}**: {how}.")
        p("")

    # --- profiles and what limits netc ----------------------------------------------
    helper_re = re.compile(r"_(exp|expf|tanh|tanhf|log|logf|sigmoid|sigmoidf)(\.|$)")

    def classify(entries):
        """Shares: libm, netc's own transcendental helpers, the rest of the
        generated code, the driver's own loop."""
        libm = sum(p_ for p_, dso, _ in entries if dso.startswith("libm"))
        drv = sum(p_ for p_, dso, sym in entries
                  if dso.startswith("bench_netc") and sym in ("train_steps", "infer_steps"))
        own = sum(p_ for p_, dso, sym in entries
                  if dso.startswith("bench_netc") and helper_re.search(sym))
        gen = sum(p_ for p_, dso, sym in entries
                  if dso.startswith("bench_netc") and sym not in ("train_steps", "infer_steps")) - own
        return libm, own, gen, drv

    def libm_syms(entries):
        return [sym for _, dso, sym in entries if dso.startswith("libm")]

    if prof:
        p("## Where netc's time goes")
        p("")
        p("`perf record -e cpu-clock` on the netc trainer (`-O3 -march=native`, 1 thread) for "
          "each configuration, and on single-sample inference. Shares of the samples: glibc's "
          "libm (exp, log, tanh and their helpers), the generated code's own exp/tanh/log "
          "functions where it has them, the rest of the generated code (`NAME_sgd_step`, "
          "`NAME_forward` and the kernels inlined into them, the SGD update included), "
          "the driver's own loop.")
        p("")
        p("| net | mode | batch | libm | netc's exp/tanh/log | rest of the generated code | "
          "driver | hottest symbols |")
        p("|---|---|---|---|---|---|---|---|")
        for net, desc, bs in NETS:
            for mode, b in [("train", b) for b in bs] + [("infer", 1)]:
                e = prof.get((net, mode, b))
                if not e:
                    continue
                libm, own, gen, drv = classify(e)
                top = ", ".join(f"`{sym}` {p_:.0f}%" for p_, _, sym in e[:3])
                p(f"| {net} | {mode} | {b} | {libm:.0f}% | {own:.0f}% | {gen:.0f}% | {drv:.0f}% | {top} |")
        p("")

    p("## What limits netc")
    p("")
    notes = []
    dbl = ("__ieee754_exp", "__exp", "exp@", "__ieee754_log", "__log", "log@")
    small = []
    for net in ("xor", "iris", "digits"):
        for b in (1, 32):
            e = prof.get((net, "train", b))
            n1, fa = train("netc", net, b, 1), train("fann", net, b, 1)
            if e and n1:
                libm, own, gen, drv = classify(e)
                small.append((net, b, libm, own, 1e9 / n1, 1e9 / fa if fa else None, libm_syms(e)))
    if small:
        parts = []
        for net, b, libm, own, ns, fns, syms in small:
            parts.append(f"{net} b{b}: {ns:.0f} ns per sample (FANN {fns:.0f}), "
                         f"{libm + own:.0f}% of it in exp/tanh/log" if fns else
                         f"{net} b{b}: {ns:.0f} ns per sample, {libm + own:.0f}% in exp/tanh/log")
        txt = "**Small nets (xor, iris, digits) against FANN.** " + "; ".join(parts) + "."
        syms = sorted({s_ for *_, ss in small for s_ in ss})
        if max(x[2] for x in small) >= 15:
            txt += (" The libm functions (" + ", ".join(f"`{x}`" for x in syms[:8]) + ") are "
                    "scalar calls, one per value: gcc vectorizes them only under "
                    "`-ffast-math`, which netc does not use.")
        if max(x[3] for x in small) >= 15:
            txt += (" netc's own exp/tanh helpers are inlined code the compiler can "
                    "schedule, but still one evaluation per value and per use.")
        if any(x.startswith(dbl) and "expf" not in x and "logf" not in x for x in syms):
            txt += (" The double-precision `exp`/`log` come from the loss, which the generated "
                    "code evaluates in double even for a float network.")
        txt += (" Beyond the transcendentals these nets are a few dozen multiply-adds per "
                "sample, so fixed per-call costs (zeroing, the loss, the update) weigh "
                "as much as the arithmetic.")
        n1, fa = train("netc", "xor", 1, 1), train("fann", "xor", 1, 1)
        if n1 and fa:
            txt += (f" At xor batch 1 a whole step is {1e9 / n1:.0f} ns; 10× FANN means "
                    f"{1e8 / fa:.0f} ns per step. At batch 1 nothing overlaps: each step's "
                    "update feeds the next step's forward pass, and xor's forward pass alone "
                    "is two dependent sigmoids, each an exponential and a division in a row, "
                    "then the loss, two layers of backward and the update; that chain of "
                    "latencies, not the arithmetic, sets the step time.")
            chain = [(net, infer("netc", net, "chain"), train("netc", net, 1, 1),
                      train("fann", net, 1, 1)) for net in ("xor", "iris")]
            chain = [c_ for c_ in chain if all(c_[1:])]
            if chain:
                txt += (" Measured: one forward pass that waits for the previous one's output "
                        "(the chained inference column below) takes "
                        + "; ".join(f"{fmt_ns(ch)} on {net} (a whole step {1e9 / st:.0f} ns, "
                                    f"10× FANN {1e8 / fa_:.0f} ns)" for net, ch, st, fa_ in chain)
                        + ", so where the 10× step is shorter than that, no schedule of the "
                        "backward pass and the update can reach it: the forward chain alone "
                        "is longer.")
            met32 = [net for net in ("xor", "iris", "digits")
                     if train("netc", net, 32, 1) and train("fann", net, 32, 1)
                     and train("netc", net, 32, 1) >= 10 * train("fann", net, 32, 1)]
            txt += (" Batches of 32 overlap 32 independent chains"
                    + (f", which is where the 10× is met ({', '.join(met32)})." if met32 else
                       ", and the 10× is not met there either in this run."))
        notes.append(txt)
    sz = sizes.get("mnist") or sizes.get("wide")
    if sz and top_isa == "avx512" and int(sz.get("m512", "0")) == 0 and int(sz.get("m256", "0")) > 0:
        oh = train("openblas-haswell", "wide", 128, 1)
        n1 = train("netc", "wide", 128, 1)
        core = next((kv(c).get("corename") for c in cores if c.startswith("CORE openblas ")), "?")
        txt = ("**mnist and wide: the vector width.** netc's large-layer kernels are AVX2+FMA "
               "intrinsics (`__m256`, 8 floats), and gcc keeps 256-bit vectors under "
               f"`-march=native` here (`-mprefer-vector-width={meta.get('prefer_vector_width', '?')}`). "
               f"This CPU has AVX-512: its measured peak is {peak(1):.1f} GFLOP/s on one core "
               f"against {avx2_peak(1):.1f} for 256-bit FMAs, and OpenBLAS runs its `{core}` "
               "AVX-512 kernel. netc's ceiling on this machine is the AVX2 figure"
               + (", so the 75%-of-peak target is out of reach without 512-bit kernels."
                  if avx2_peak(1) < 0.75 * peak(1) else "."))
        if oh and n1:
            txt += (f" Held to its AVX2 (Haswell) kernel, OpenBLAS trains wide b128 at "
                    f"{fmt_rate(oh)}/s ({gflops('wide', oh):.1f} GFLOP/s), netc at "
                    f"{fmt_rate(n1)}/s ({gflops('wide', n1):.1f}): "
                    f"{n1 / oh:.2f}× at equal vector width.")
        notes.append(txt)
    n1, o1 = train("netc", "wide", 128, 1), train("openblas", "wide", 128, 1)
    if n1 and peak(1) and not (sz and top_isa == "avx512" and int(sz.get("m512", "0")) == 0):
        g = gflops("wide", n1)
        txt = (f"**wide b128** trains at {g:.1f} GFLOP/s by the 6 × params convention "
               f"({g * actual_train_flops('wide') / (6 * params('wide')):.1f} GFLOP/s of "
               f"multiply-adds it really does), {100 * g / peak(1):.0f}% of the measured "
               f"{top_isa.upper()} peak")
        if top_isa == "avx512" and avx2_peak(1):
            txt += f" and {100 * g / avx2_peak(1):.0f}% of the AVX2 one"
        if sz:
            txt += (f"; the generated code has {'both 512-bit (`__m512`) and ' if int(sz.get('m512', '0')) else ''}"
                    "256-bit (`__m256`) kernels")
        if o1:
            txt += (f". OpenBLAS, with the same three products per layer, reaches "
                    f"{gflops('wide', o1):.1f} GFLOP/s ({100 * gflops('wide', o1) / peak(1):.0f}%)")
        if g < 0.75 * peak(1):
            txt += (". Below 75%, what the kernels do alone says why (each layer kernel of "
                    "wide at batch 128 timed in a loop on warm data, on the Intel Xeon of "
                    "2026-12-06; 113.9 G multiply-adds/s is that machine's measured peak): the "
                    "forward tiles ran at 77 G multiply-adds/s (68%), the input and weight "
                    "gradients at 66–69 with AVX-512's 12-row tiles (58–63 with 6-row ones, "
                    "the kernel of the earlier runs). The forward 3 × 8 dot tile alone, on "
                    "rows in L1, reached 86 G at 784 inputs and 89 G at 1024: each call ends "
                    "in six horizontal sums of four vectors, and each tile of 24 outputs "
                    "re-reads its 3 rows of x from L2. What the earlier runs proposed to close it: the forward pass "
                    "as a broadcast GEMM like the other two, over W packed transposed once a "
                    "step (no horizontal sums, x read once per tile of 12 or more samples). "
                    "On the Intel Xeon of 2026-12-06's evening run (225 GFLOP/s a core) that "
                    "did not hold: the forward pass through gemm12 over W packed transposed "
                    "(12 samples of x broadcast at a time, k in blocks of 256), edited into "
                    "the generated code by hand, trained wide b128 at 26.6 k/s with the "
                    "transposition each step and 33.5 k/s with it left out, against 34.3 k/s "
                    "for the dot tiles. There the 3 × 8 tile on rows in L1 ran at 150–156 "
                    "GFLOP/s (67–69% of peak) and gemm12 on packed operands at 165–179 "
                    "(74–80%), so no kernel alone gets far past 75%. The weight gradient "
                    "also lost to where dz sits: its broadcasts read one value per sample "
                    "from rows 512 reals apart (2 KB), which fall into 2 of L1's 64 sets. "
                    "The generated code now copies each 6- or 12-row tile of dz^T into a "
                    "panel first (`NAME_pack`): wide b128 3–9% faster in interleaved runs, "
                    "mnist b128 2–6%, b32 unchanged. Packing x's 32-column strips as well "
                    "added 1–3% by hand; the input gradient's operands packed the same way, "
                    "nothing. What is left is mostly the forward dot tile's ceiling: 11 "
                    "vector loads per 24 multiply-adds and six horizontal sums per tile")
        txt += (". Before 2026-12-06 the forward tile did not get even that: gcc 12 folded "
                "the load of each W vector into the three multiply-adds that use it, 27 "
                "loads a step where 11 do, more than the two 512-bit loads a cycle allow "
                "beside 24 multiply-adds; the generated code now holds each in a register "
                "(`NAME_KEEP`, an empty `asm` under gcc and clang), and mnist and wide "
                "trained 8–10% faster at batch 32 and 128 (interleaved medians on the AMD "
                "EPYC, Zen 5, of that day; the same bits)")
        notes.append(txt + ".")
    flushed = []
    for net, _, batches in NETS:
        for b in batches:
            n1, f1 = train("netc", net, b, 1), train("netc-ftz", net, b, 1)
            if n1 and f1 and f1 > 1.1 * n1:
                flushed.append(f"{net} b{b} {fmt_rate(n1)}/s as generated, {fmt_rate(f1)}/s "
                               f"flushed ({f1 / n1:.2f}×)")
    if flushed:
        notes.append("**Denormals.** With the flush-to-zero flags set by the caller (FTZ and "
                     "DAZ: denormal results and operands become 0) netc ran more than 10% "
                     "faster on " + "; ".join(flushed) + ". The synthetic data's classes "
                     "are random, so over the millions of steps of a run the network memorizes "
                     "them (the loss reaches 0), its softmax saturates, and probabilities and "
                     "the products of the gradients that carry them fall below 1.2e-38; Intel "
                     "CPUs take a microcode assist for each such operand or result (the AMD "
                     "machine of earlier runs showed no such effect). On real data it does not "
                     "happen: digits trained on its 1437 training samples for a million "
                     "steps at batch 1 left no denormal in the workspace and ran at "
                     "4.0–4.2 M/s with or without the flags (measured on the Intel Xeon of "
                     "2026-12-06). The generated code leaves the floating-point control "
                     "register alone: flushing changes results (below 1.2e-38), PyTorch and "
                     "FANN keep denormals by default too, and the ratios above use the plain "
                     "figure. A program that wants it sets `_mm_setcsr(_mm_getcsr() | 0x8040)` "
                     "before it starts threads, which inherit the setting.")
    e = prof.get(("mnist", "train", 1))
    n1, o1 = train("netc", "mnist", 1, 1), train("openblas", "mnist", 1, 1)
    if n1 and o1:
        notes.append(f"**Batch 1 on mnist/wide** is matrix-vector work: a step streams "
                     f"every weight forward, then reads and writes it once more in the update, "
                     f"into which `NAME_sgd_step` puts the one-sample weight gradient "
                     f"dz[o]·x[i] directly (OpenBLAS writes dW and reads it back), about "
                     f"3 × {4 * params('mnist') / 1024:.0f} KB for mnist "
                     f"for {6 * params('mnist') / 1e6:.1f} MFLOP. netc reaches "
                     f"{gflops('mnist', n1):.1f} GFLOP/s there, OpenBLAS "
                     f"{gflops('mnist', o1):.1f}.")
    n3, n2_ = train("netc", "mnist", 128, 1), train("netc-O2", "mnist", 128, 1)
    if n3 and n2_ and sz and int(sz.get("m256", "0")) > 0:
        notes.append(f"**`-O2` without `-march=native`** trains mnist b128 at {fmt_rate(n2_)}/s, "
                     f"{n3 / n2_:.1f}× slower than `-O3 -march=native`: the AVX2+FMA kernels "
                     "sit under `#if defined(__AVX2__) && defined(__FMA__)`, and a plain x86-64 "
                     "build takes their portable scalar fallback.")
    scale = ""
    if peak(1) and peak(2):
        scale = (f" The FMA probe itself gets {peak(2) / peak(1):.2f}× its 1-thread rate on 2 "
                 f"threads ({peak(2):.0f} against {peak(1):.0f} GFLOP/s)"
                 + (": the two CPUs of this virtual machine share one core's FMA units "
                    "(SMT siblings on the host, or a host limit), so no compute-bound code "
                    "can reach 1.7× here; the caller-split column, which needs no help from "
                    "the generated code, shows the same." if peak(2) / peak(1) < 1.3 else "."))
    if sizes and not any(int(v.get("omp_pragmas", "0")) for v in sizes.values()):
        notes.append("**Two threads.** The generated code has no OpenMP pragmas in this build, "
                     "so `-fopenmp` with 2 threads splits nothing but the driver's loop; the "
                     "forward and backward passes run on one thread and the 2-thread column "
                     "measures fork/join overhead, not parallel speed-up." + scale)
    elif sizes:
        n1, n2 = train("netc", "wide", 128, 1), train("netc-omp", "wide", 128, 2)
        if n1 and n2 and peak(2) and peak(1):
            pr = paired("wide", 128)
            rate = (f"{pr[0]:.2f}× its 1-thread rate on 2 threads (the median of {pr[3]} "
                    f"back-to-back pairs; {n2 / n1:.2f}× between the separate runs)" if pr else
                    f"{n2 / n1:.2f}× its 1-thread rate on 2 threads")
            notes.append(f"**Two threads.** wide b128 runs at {rate}." + scale +
                         " Each thread computes whole rows of every weight tensor in the "
                         "forward pass, the weight gradient and the update, so it writes the "
                         "rows it reads in the update after it (splitting the weight gradient "
                         "by columns instead made two threads slower than one on mnist b32, "
                         "every row's cache lines moving between the cores each step), and the "
                         "relu and its derivative run in those kernels' epilogues on the values "
                         "each thread computed. Two things held the `-fopenmp` build back before "
                         "2026-12-06 (measured on the AMD EPYC, Zen 5, of that day). gcc 12 "
                         "inlined the 12-row tile into the OpenMP region and kept its B vectors "
                         "on the stack (24 multiply-adds a step with a memory operand): that "
                         "build trained mnist b128 on one thread at 305 k/s against 505 k/s for "
                         "the plain build, and the weight gradient took as long on each of 2 "
                         "threads as on 1. The tiles now stay out of line, and 2 threads went "
                         "from 1.2–1.4× to 1.7–1.9× on mnist and wide in interleaved runs. And a "
                         "block of rows that did not end on a multiple of 6 ended in single "
                         "rows at an eighth of a tile's speed (mnist's 128 rows split 66 and "
                         "62, the second 5 × 12 + 2), so one thread finished later and the other "
                         "waited in libgomp; the 8- and 10-row tiles took that away (mnist b128 "
                         "on 2 threads 10% faster). What is left: the input gradient is split by "
                         "its own columns and reads W across both halves, so half of each hidden "
                         "layer's weights move to the other core and back every step; the small "
                         "layers and the loss run on one thread between the parallel loops; and "
                         "each parallel loop is a fork and a join (3.2–3.9 µs for an empty "
                         "2-thread `parallel for` against 1.6 µs for a barrier inside one "
                         "region, measured with OpenMP's default wait policy on the 2-CPU AMD "
                         "EPYC of an earlier run), which weighs on the short steps (mnist b32: "
                         "two such loops in a step of about 40 µs on 2 threads). What would "
                         "close more: the input gradient split over W's rows too (two partial "
                         "sums per thread pair, added in a fixed order so results stay "
                         "independent of the thread count), in one parallel region per step.")
    for net, goal in (("iris", 25.0), ("mnist", 5000.0)):
        v = infer("netc", net)
        e = prof.get((net, "infer", 1))
        if v and v > goal:
            txt = f"**{net} inference** takes {fmt_ns(v)} per sample against {fmt_ns(goal)}"
            if e:
                libm, own, gen, drv = classify(e)
                if libm >= 5:
                    txt += (f"; {libm:.0f}% of it in libm "
                            f"({', '.join('`' + x + '`' for x in libm_syms(e)[:3])})")
                if own >= 5:
                    txt += f"; {own:.0f}% in the generated code's own exp/tanh"
            if net == "iris":
                chained = infer("netc", net, "chain")
                txt += ("; one sample's forward pass is a chain of dependent steps: the "
                        "4→16 layer (four 512-bit vectors of 4 rows each times x, summed per "
                        "128-bit lane and permuted back to row order), 16 tanh (one 16-lane "
                        "vector with AVX-512, two 8-lane ones with AVX2), the 16→3 layer (one "
                        "vector per row, the three rows summed together by hsum4), a 3-way "
                        "softmax (its three exponentials one padded 8-lane vector, then a "
                        "division). Since 2026-12-07 the tanh layer's kernel is inlined into "
                        "the one-sample path and the 16→3 layer and its softmax run in "
                        "registers (`iris_y_softmax_one`): the logits had been stored one by "
                        "one and loaded as a vector that waited for those stores to leave the "
                        "core. Interleaved medians of 5 on the AMD EPYC (Zen 5) of that day, "
                        "built as here (`-std=c99 -O3 -march=native`): 36.8 → 30.0 ns a call, "
                        "75.4 → 67.6 ns chained; xor 23.0 → 19.5 ns. Then the fast functions' "
                        "multiply-adds were fused wherever the CPU has FMA (`fmaf` in the "
                        "scalar form under `__FMA__`, `fmadd` in the vector forms, so each "
                        "build keeps one set of bits; the same ulp bounds, every float "
                        "checked): 29.9 → 27.8 ns a call, 67.7 → 64.9 ns chained; xor 23.7 → "
                        "18.1 ns. Then tanh got an exponential of its own, cut to what it "
                        "needs (2|x| clamped to 20, so 2^n is one factor and there is no low "
                        "clamp; e^(2|x|) + 1 one multiply-add from e^r − 1; every float "
                        "checked again): 25.5 → 22.9 ns a call, 61.6 → 57.7 ns chained. The "
                        "layers are not the limit (measured on the AMD EPYC of an earlier run "
                        "of this page): a hand-written copy of this "
                        "chain took 46 ns before the change below, 22 ns with the tanh left out, "
                        "29 ns with the softmax's exp left out and 10 ns with both, so the two "
                        "2-ulp functions' latency is most of it. Their polynomials now go by "
                        "Estrin's scheme (exp's degree-5 one 3 multiply-adds deep instead of 5) and exp rounds x / ln 2 to nearest "
                        "(no 1/2 added before a floor): one vector through a chain of calls took 22 ns for "
                        "tanhf16 and 13.5 ns for expf8, 29 and 20 ns before (still within 2 ulp, "
                        "every float checked by `make ulp`)" +
                        (f". On this machine one call that waits for the previous one's "
                         f"output takes {fmt_ns(chained)}, and independent calls overlap to "
                         f"{fmt_ns(v)}: {fmt_ns(goal)} would take a chain about {v / goal:.1f}× "
                         "shorter at today's overlap" if chained else "") +
                        ". Tried and dropped: the same "
                        "functions in double (1 ulp, and exp was as fast, but tanh took 27 ns: "
                        "widening and narrowing 16 floats cost 14 cycles and the double "
                        "division 12.5; iris inference got 5 ns slower), and a float rational "
                        "tanh without exp (Eigen's coefficients: 6 ulp, outside the bound); on "
                        "2026-12-07, AVX-512's `vscalef` for exp's 2^n (the same bits as its two "
                        "factors) and AVX-512VL masked loads and stores in `iris_y_softmax_one`: "
                        "no change beyond the noise; and an exp whose range test and clamps "
                        "depend on x alone, off the chain, with exp(r)'s 1 added by the first "
                        "scale's multiply-add (the same bits): chained iris 59.1 → 58.5 ns and "
                        "xor 43.1 → 42.0 ns, independent calls unchanged, all within the noise. "
                        "What is left in tanh is a division after exp's reduction and polynomial "
                        "(about 50 cycles in a row); a tanh within 2 ulp without the division "
                        "would take a few more off")
            if net == "mnist":
                txt += (f"; {fmt_ns(goal)} means streaming the {4 * params(net) / 1024:.0f} KB of "
                        f"weights at {4 * params(net) / goal:.0f} GB/s (now "
                        f"{4 * params(net) / v:.1f} GB/s, {2 * params(net) / v:.1f} GFLOP/s)")
            notes.append(txt + ".")
    for t_ in notes:
        p("- " + t_)
    p("")

    # --- full training table ------------------------------------------------------
    p("## Training, every configuration")
    p("")
    p("samples/s: median [min–max] over the repeats. GFLOP/s = 6 × params × samples/s; "
      f"% of the measured {top_isa.upper()} peak for that thread count"
      + (" (and of the AVX2 peak)" if top_isa == "avx512" else "") + ".")
    for net, desc, bs in NETS:
        p("")
        p(f"### {net}: {desc}, {params(net):,} parameters")
        p("")
        p("| implementation | threads | batch | samples/s | GFLOP/s | % peak |")
        p("|---|---|---|---|---|---|")
        for b in bs:
            for impl, t, label in TRAIN_ROWS:
                r = res.get((impl, net, "train", b, t))
                if not r:
                    continue
                g = gflops(net, r[0])
                pk = peak(t)
                pc = f"{100 * g / pk:.1f}%" if pk else "–"
                if top_isa == "avx512" and avx2_peak(t):
                    pc += f" ({100 * g / avx2_peak(t):.1f}%)"
                p(f"| {label} | {t} | {b} | {fmt_rate(r[0])} [{fmt_rate(r[1])}–{fmt_rate(r[2])}] | "
                  f"{g:.2f} | {pc} |")
    p("")

    # --- inference ----------------------------------------------------------------
    p("## Inference latency, one sample, 1 thread")
    p("")
    p("Time per call: median [min–max]; GFLOP/s = 2 × params / latency. *Chained*: each call "
      "waits for the previous one's output (see Method), the latency of one forward pass.")
    p("")
    p("| net | " + " | ".join(label for _, _, label in INFER_ROWS) + " | netc GFLOP/s |")
    p("|---|" + "---|" * (len(INFER_ROWS) + 1))
    for net, desc, bs in NETS:
        cells = []
        for impl, mode, _ in INFER_ROWS:
            r = res.get((impl, net, mode, 1, 1))
            cells.append(f"{fmt_ns(r[0])} [{fmt_ns(r[1])}–{fmt_ns(r[2])}]" if r else "–")
        v = infer("netc", net)
        if all(c_ == "–" for c_ in cells):
            continue
        g = f"{2 * params(net) / v:.2f}" if v else "–"
        p(f"| {net} | " + " | ".join(cells) + f" | {g} |")
    p("")

    # --- code size ------------------------------------------------------------------
    p("## Generated code: size and compile time")
    p("")
    p("`netc build bench/specs/NET.net`; lines of the generated NAME.c (NAME.h beside it), "
      "and `gcc -O2 -c NAME.c` wall time, median of 3.")
    p("")
    p("| net | params | lines of C (.c + .h) | gcc -O2 compile | `#pragma omp` in the .c |")
    p("|---|---|---|---|---|")
    for net, desc, bs in NETS:
        s = sizes.get(net)
        if s:
            p(f"| {net} | {int(s['params']):,} | {s['lines']} + {s['hlines']} | "
              f"{float(s['compile_O2']):.2f} s | {s['omp_pragmas']} |")
    p("")
    omp = {net: int(s["omp_pragmas"]) for net, s in sizes.items()}
    if omp and not any(omp.values()):
        p("The generated code has no OpenMP pragmas in this build, so its 2-thread column "
          "runs the driver's loop on two threads and nothing else: the forward and backward "
          "passes stay on one.")
        p("")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
