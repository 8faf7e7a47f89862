"""What every Python peer shares: arguments, the workload read from the Go program's data dump, the timing
protocol and the JSON it prints (the same shape as bench/workload's).

A peer implements three functions and hands them to run():
    fit(defn, epochs, seed, init) -> model     a whole fit: initial weights, then `epochs` full-batch steps
    train_mse(model) -> float                  MSE on the training points, dropout off (not timed)
    val_pass(defn) -> callable                 a callable doing one validation pass (forward + MSE) on the
                                               10,000 validation points of a freshly initialized model
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

# Set by each peer at its first line, before its framework's import: setup time counts from here.
T0 = time.perf_counter()


def parse_args(description, extra=None):
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    if extra:
        extra(p)
    p.add_argument("--data", required=True, help="the dump of `workload -dump-data FILE`")
    p.add_argument("--smoke", action="store_true", help="tiny epoch counts (same as --scale 0.005)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every epoch count by this")
    p.add_argument("--fits", default="all", help="comma-separated groups of fits, or none")
    p.add_argument("--micro", default="all", help="comma-separated micro rows, or none")
    p.add_argument("--init", help="initial weights of the 5x512 fit (`workload -dump-init FILE`)")
    p.add_argument("--system", help="name of this system in the JSON")
    a = p.parse_args()
    if a.smoke and a.scale == 1.0:
        a.scale = 0.005
    return a


def threads():
    """All the cores this process may use ($BENCH_THREADS overrides, for experiments)."""
    if os.environ.get("BENCH_THREADS"):
        return int(os.environ["BENCH_THREADS"])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# The Go program's rules (bench/workload/main.go: scaleEpochs, scaleN).
def scale_epochs(e, scale):
    return max(1, int(math.floor(e * scale + 0.5)))


def scale_n(n, scale):
    return max(3, int(math.floor(n * scale + 0.5)))


class Data:
    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        col = lambda k: np.asarray(d[k], dtype=np.float32).reshape(-1, 1)
        self.train_x, self.train_y = col("train_x"), col("train_y")
        self.val_x, self.val_y = col("val_x"), col("val_y")
        self.fits, self.micro = d["fits"], d["micro"]
        a = d["adam"]
        self.lr, self.beta1, self.beta2, self.eps = a["LearningRate"], a["Beta1"], a["Beta2"], a["Epsilon"]
        self.init_sd = d["init_sd"]


def dropout_rates(defn):
    return tuple(defn.get("dropout") or [0.0] * len(defn["hidden"]))


def initial_weights(defn, seed, sd, init=None):
    """[(W, b)] from N(0, sd²), W of shape (in, out), float32; or the given weights when they fit."""
    if init is not None and init.get("group") == defn.get("group"):
        return [(np.asarray(l["Kernel"], np.float32).reshape(l["In"], l["Out"]), np.asarray(l["Bias"], np.float32))
                for l in init["layers"]]
    rng = np.random.default_rng(seed)
    out, fan_in = [], 1
    for w in list(defn["hidden"]) + [1]:
        out.append((rng.normal(0.0, sd, (fan_in, w)).astype(np.float32), rng.normal(0.0, sd, (w,)).astype(np.float32)))
        fan_in = w
    return out


def selected(spec):
    if spec == "all":
        return lambda name: True
    names = {s.strip() for s in spec.split(",")}
    return lambda name: name in names


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(system, backend, args, data, fit, train_mse, val_pass, micro_fit=None):
    """Runs the workload, then the micro rows, and prints the JSON result. micro_fit, if given, replaces fit in
    the micro rows (Keras: one compiled model per row, trained on by each call)."""
    micro_fit = micro_fit or fit
    init = None
    if args.init:
        with open(args.init) as f:
            init = json.load(f)
    res = {"system": args.system or system, "backend": backend, "scale": args.scale, "threads": threads(),
           "setup_seconds": time.perf_counter() - T0, "workload_seconds": 0.0, "fits": [], "micro": []}
    want = selected(args.fits)
    paused = 0.0
    start = time.perf_counter()
    for i, d in enumerate(data.fits):
        if not want(d["group"]):
            continue
        epochs = scale_epochs(d["epochs"], args.scale)
        t = time.perf_counter()
        model = fit(d, epochs, 1000 + i, init)
        sec = time.perf_counter() - t
        t = time.perf_counter()
        mse = float(train_mse(model))  # Outside the clock, as in the Go program.
        paused += time.perf_counter() - t
        res["fits"].append({"group": d["group"], "name": d["name"], "epochs": epochs, "seconds": sec, "train_mse": mse})
        log(f"{res['system']}: {d['name']:<42} {epochs:4d} epochs {sec:8.3f} s  train MSE {mse:.5f}")
    res["workload_seconds"] = time.perf_counter() - start - paused

    want = selected(args.micro)
    for d in data.micro:
        if not want(d["row"]):
            continue
        n = scale_n(d["n"], args.scale)
        if d["kind"] == "pass":
            call = val_pass(d)
            call()
            call()
            t = time.perf_counter()
            for _ in range(n):
                call()
            ms = (time.perf_counter() - t) * 1000 / n
            method = f"mean of {n} validation passes on {len(data.val_x)} points after 2 warm-up passes"
        else:
            # The Go program's protocol: (best of 2 n-epoch fits - best of 3 one-epoch fits) / (n - 1), after a
            # warm-up fit, so that one more epoch is what is measured.
            micro_fit(d, 1, 7, None)
            t1 = min(timed(micro_fit, d, 1) for _ in range(3))
            tn = min(timed(micro_fit, d, n) for _ in range(2))
            ms = max(tn - t1, 0.0) * 1000 / (n - 1)
            method = f"(best of 2 fits of {n} epochs - best of 3 fits of 1 epoch) / {n - 1}, after a warm-up fit"
        res["micro"].append({"row": d["row"], "ms": ms, "n": n, "method": method})
        log(f"{res['system']}: {d['row']:<22} {ms:9.3f} ms ({method})")
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")


def timed(fit, d, epochs):
    t = time.perf_counter()
    fit(d, epochs, 7, None)
    return time.perf_counter() - t
