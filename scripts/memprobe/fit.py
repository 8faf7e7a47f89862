#!/usr/bin/env python3
"""Fit formulas for a fit's peak resident memory to a table written by scripts/memprobe/sweep.sh.

    python3 scripts/memprobe/fit.py table.tsv

In bytes, with W = 4 * params (one float32 copy of the weights) and A = 4 * points * units (one float32 copy
of every layer's activations on the points a step runs on, as memprobe counts them):

    simple:      peak = base + a*W + b*A
    structural:  peak = base + a*W + c*4*train*units + d*[history]*4*val*pair

where pair is the largest sum of two adjacent layer widths (what an inference pass holds at once). The
coefficients minimize the squared relative error, since peaks range from 200 MiB to several GiB. Plain
Python: no numpy needed.
"""

import csv
import sys


def solve(rows, ys):
    """Weighted least squares: minimize sum(((x . beta) - y) / y)^2) by the normal equations."""
    n = len(rows[0])
    ata = [[0.0] * n for _ in range(n)]
    aty = [0.0] * n
    for x, y in zip(rows, ys):
        w = 1.0 / (y * y)
        for i in range(n):
            aty[i] += w * x[i] * y
            for j in range(n):
                ata[i][j] += w * x[i] * x[j]
    # Gaussian elimination with partial pivoting.
    m = [row[:] + [aty[i]] for i, row in enumerate(ata)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def widths(hidden):
    if "x" in hidden:
        w, k = hidden.split("x")
        return [int(w)] * int(k)
    return [int(w) for w in hidden.split(",")]


def main(path):
    with open(path) as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    mib = 1 << 20
    simple, structural, peaks, names = [], [], [], []
    for r in table:
        layers = [1] + widths(r["hidden"]) + [1]
        pair = max(a + b for a, b in zip(layers[1:], layers[2:]))
        units = int(r["units"])
        history = r["history"] == "true"
        W = 4 * int(r["params"])
        A = 4 * int(r["points"]) * units
        simple.append([1.0, W, A])
        structural.append([1.0, W, 4 * int(r["train"]) * units, 4 * int(r["val"]) * pair if history else 0.0])
        peaks.append(float(r["peak_rss"]))
        names.append(r)

    for title, xs, labels in [("simple", simple, ["base", "a", "b"]),
                              ("structural", structural, ["base", "a", "c", "d"])]:
        beta = solve(xs, peaks)
        errs = [(sum(b * x for b, x in zip(beta, row)) - y) / y for row, y in zip(xs, peaks)]
        worst = max(range(len(errs)), key=lambda i: abs(errs[i]))
        coef = ", ".join(f"{l} = {b / mib:.0f} MiB" if l == "base" else f"{l} = {b:.2f}" for l, b in zip(labels, beta))
        print(f"{title}: {coef}; worst relative error {errs[worst]:+.1%} ({names[worst]['hidden']}, "
              f"history {names[worst]['history']}, {names[worst]['points']} points)")
        if title == "simple":
            est = [float(r["est_bytes"]) for r in names]
            eerrs = [(e - y) / y for e, y in zip(est, peaks)]
            print(f"Spec.Bytes today: relative error from {min(eerrs):+.1%} to {max(eerrs):+.1%}")
            print()
            print("| hidden | epochs | history | train | val | params | Spec.Bytes | peak RSS | peak / Spec.Bytes "
                  "| simple fit | gob (cache entry) |")
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            for r, y, e in zip(names, peaks, errs):
                print(f"| {r['hidden']} | {r['epochs']} | {r['history']} | {r['train']} | {r['val']} | "
                      f"{int(r['params']):,} | {float(r['est_bytes']) / mib:,.0f} MiB | {y / mib:,.0f} MiB | "
                      f"{y / float(r['est_bytes']):.1f} | {e:+.1%} | {int(r['gob_bytes']) / mib:,.1f} MiB |")
            print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
