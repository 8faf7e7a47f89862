"""Writes bench/RESULTS.md and bench/results.svg from one run's raw JSON (a directory scripts/bench.sh filled
under bench/raw/), so a report can be regenerated without rerunning anything. Standard library only.

  python3 bench/report.py RUN_DIR [--out DIR] [--check]

--check re-reads what it wrote and fails unless every row has a table with a number for every system that
ran, and the SVG parses (scripts/bench.sh --smoke uses it).
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys
import xml.etree.ElementTree as ET
from html import escape

SYSTEMS = {  # Order of the tables and the chart.
    "gomlx-xla": "this project, XLA CPU (PJRT plugin)",
    "gomlx-go": "this project, pure-Go backend",
    "jax-jit": "JAX, jit, one call per epoch",
    "jax-scan": "JAX, jit, epochs in one lax.scan",
    "torch": "PyTorch, eager",
    "keras": "Keras 3 on TensorFlow (the lecture's stack)",
}
PEERS = ("jax-jit", "jax-scan", "torch", "keras")
ROWS = {  # row -> (title, unit, what the FLOP count is)
    "workload": ("Whole workload, cold (every fit of both notebooks, compilation included)", "s",
                 "Σ over fits of epochs × 3 × forward matmul FLOPs on 50 points, plus a forward pass on the 10,000 "
                 "validation points per epoch of the history fit"),
    "adam_5x512": ("One Adam epoch, 5 x 512, 50 points", "ms", "3 × forward matmul FLOPs"),
    "val_5x256": ("One validation pass, 5 x 256, 10,000 points", "ms", "forward matmul FLOPs only"),
    "adam_5x1024_dropout": ("One Adam epoch, 5 x 1024 with dropout 0.2 x4, 50 points", "ms", "3 × forward matmul FLOPs"),
    "adam_15x32": ("One Adam epoch, 15 x 32, 50 points", "ms", "3 × forward matmul FLOPs"),
}


def macs(hidden):
    """Multiply-adds of one forward pass per point: Σ in·out over the dense layers (1 -> hidden... -> 1)."""
    widths = [1] + list(hidden) + [1]
    return sum(a * b for a, b in zip(widths, widths[1:]))


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 1 else f"{v:.3f}"


def load(run):
    j = lambda name, default=None: json.load(open(os.path.join(run, name))) if os.path.exists(os.path.join(run, name)) else default
    meta = {"machine": j("machine.json", {}), "versions": j("versions.json"), "peak": j("peak.json"),
            "workload": j("workload.json", {"fits": [], "micro": [], "n_train": 50, "n_val": 10000})}
    results, failed = {}, []
    for path in sorted(glob.glob(os.path.join(run, "r*-*.json"))):
        m = re.match(r"r(\d+)-(.+)\.json$", os.path.basename(path))
        if not m:
            continue
        try:
            results.setdefault(m.group(2), []).append((int(m.group(1)), json.load(open(path))))
        except (json.JSONDecodeError, OSError):
            failed.append(os.path.basename(path))
    loads = []
    if os.path.exists(os.path.join(run, "load.tsv")):
        for line in open(os.path.join(run, "load.tsv")):
            parts = line.split()
            if len(parts) == 3:
                loads.append((int(parts[0]), parts[1], float(parts[2])))
    return meta, results, failed, loads


def flops(meta):
    w = meta["workload"]
    by_name = {f["name"]: f for f in w["fits"]}
    n_train, n_val = w.get("n_train", 50), w.get("n_val", 10000)

    def workload(res):
        total = 0.0
        for f in res["fits"]:
            d = by_name.get(f["name"])
            if d is None:
                return None
            total += f["epochs"] * 3 * 2 * n_train * macs(d["hidden"])
            if d.get("history"):
                total += f["epochs"] * 2 * n_val * macs(d["hidden"])
        return total

    micro = {}
    for d in w["micro"]:
        points = n_val if d["kind"] == "pass" else n_train
        micro[d["row"]] = (1 if d["kind"] == "pass" else 3) * 2 * points * macs(d["hidden"])
    return workload, micro


def table(meta, results):
    """row -> system -> dict(values, min, median, gflops, ...), in ROWS and SYSTEMS order."""
    workload_flops, micro_flops = flops(meta)
    out = {}
    for row in ROWS:
        cells = {}
        for system in [s for s in SYSTEMS if s in results] + sorted(set(results) - set(SYSTEMS)):
            vals, fl, fits = [], None, None
            for _, res in results[system]:
                if row == "workload":
                    if not res.get("fits"):
                        continue
                    vals.append(res["workload_seconds"])
                    fl = workload_flops(res)
                    fits = tuple(f["name"] for f in res["fits"])
                else:
                    for m in res.get("micro", []):
                        if m["row"] == row:
                            vals.append(m["ms"] / 1000)
                            fl = micro_flops.get(row)
            if vals:
                med = statistics.median(vals)
                cells[system] = {"values": vals, "min": min(vals), "median": med, "flops": fl, "fits": fits,
                                 "gflops": fl / med / 1e9 if fl and med > 0 else None}
        peer_medians = [c["median"] for s, c in cells.items() if s in PEERS]
        best_peer = min(peer_medians) if peer_medians else None
        for c in cells.values():
            c["ratio"] = c["median"] / best_peer if best_peer else None
        out[row] = cells
    return out


def markdown(meta, results, failed, loads, rows):
    m, v, peak = meta["machine"], meta["versions"] or {}, meta["peak"]
    peak_g = peak["gflops"] if peak else None
    L = ["# Benchmark: the lecture's training workload, this project against JAX, PyTorch and Keras", ""]
    L.append(f"Written by `scripts/bench.sh` ({m.get('date', '?')}); raw JSON in `{m.get('raw', '?')}`, "
             "regenerate with `scripts/bench.sh --report-only`. What each row is: [README.md](README.md).")
    L.append("")
    scale = m.get("scale", "1")
    if m.get("smoke") or float(scale) != 1.0:
        L += [f"**Reduced run (epochs × {scale}{', smoke' if m.get('smoke') else ''}): these figures are a check "
              "that the benchmark works, not the workload's timings.**", ""]
    L.append(f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, AVX-512 {m.get('avx512', '?')}, "
             f"AVX2 {m.get('avx2', '?')}. Measured float32 matmul peak: "
             + (f"**{peak_g:.0f} GFLOP/s** (numpy sgemm, " + ", ".join(f"{n}²: {g:.0f}" for n, g in peak["sizes"].items())
                + (f"; {peak['blas'][0].get('internal_api')} {peak['blas'][0].get('version')} "
                   f"{peak['blas'][0].get('architecture')} kernels, {peak['blas'][0].get('num_threads')} threads"
                   if peak.get("blas") else "") + ")." if peak else "not measured."))
    L.append("")
    L.append(f"Versions: Go {m.get('go', '?')}, GoMLX {m.get('gomlx', '?')}; Python {v.get('python', '—')}, "
             f"jax {v.get('jax', '—')}, jaxlib {v.get('jaxlib', '—')}, torch {v.get('torch', '—')} (CPU), "
             f"tensorflow-cpu {v.get('tensorflow-cpu', '—')}, keras {v.get('keras', '—')}, numpy {v.get('numpy', '—')}.")
    L.append("")
    rounds = sorted({r for r, _, _ in loads})
    if rounds:
        per_round = [f"round {r}: " + ", ".join(f"{l:.2f}" for rr, _, l in loads if rr == r) for r in rounds]
        L.append(f"Rounds: {len(rounds)}, systems interleaved in each. 1-minute load average before each system's "
                 f"run, in run order ({', '.join(s for s in m.get('systems', '').split(','))}): " + "; ".join(per_round) + ".")
        L.append("")
    if failed:
        L += [f"Failed runs (no JSON): {', '.join(failed)}; see the .log files beside them.", ""]
    L.append("Ratios are medians against the fastest peer's median in the row (peers: JAX, PyTorch, Keras; not this "
             "project's backends), so below 1 is faster than every peer. GFLOP/s count matmul FLOPs only, from the "
             "median, with a training step as 3 × its forward matmul FLOPs (forward, and a backward pass for the "
             "inputs' and the weights' gradients) and a validation pass as forward only; Adam's and dropout's "
             "element-wise work is not counted.")
    L.append("")
    L.append("![Median time per system and row](results.svg)")
    for row, (title, unit, how) in ROWS.items():
        cells = rows[row]
        L += ["", f"## {title}", "", f"FLOPs: {how}.", ""]
        if not cells:
            L.append("(no system ran this row)")
            continue
        scale_u = 1 if unit == "s" else 1000
        L.append(f"| system | runs | min ({unit}) | median ({unit}) | × fastest peer | GFLOP/s | % of matmul peak |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for s, c in cells.items():
            pct = f"{100 * c['gflops'] / peak_g:.1f}" if c["gflops"] and peak_g else "—"
            L.append(f"| {SYSTEMS.get(s, s)} | {len(c['values'])} | {fmt(c['min'] * scale_u)} | "
                     f"{fmt(c['median'] * scale_u)} | {fmt(c['ratio']) if c['ratio'] else '—'} | "
                     f"{fmt(c['gflops']) if c['gflops'] else '—'} | {pct} |")
        if row == "workload":
            fitsets = {c["fits"] for c in cells.values()}
            if len(fitsets) > 1:
                L += ["", "**The systems ran different sets of fits: the workload times do not compare.**"]
    L += breakdown(meta, results)
    L.append("")
    return "\n".join(L)


def breakdown(meta, results):
    """Per group of fits, median over rounds of the group's seconds; and each group's first fit's training MSE."""
    systems = [s for s in SYSTEMS if s in results and any(r.get("fits") for _, r in results[s])]
    if not systems:
        return []
    groups = []
    for f in meta["workload"]["fits"]:
        if f["group"] not in groups:
            groups.append(f["group"])
    names = {f["group"]: f["name"] for f in reversed(meta["workload"]["fits"])}  # First fit of each group.
    L = ["", "## The workload by group of fits", "",
         "Median over rounds of each group's seconds (compilation included where the group pays it), then the "
         "training MSE after the last step of the group's first fit (round 1, dropout off): a check that every "
         "system trained the same networks to the same range; initial weights and dropout masks differ between "
         "systems, so the digits do not.", ""]
    L.append("| group | " + " | ".join(s for s in systems) + " |")
    L.append("| --- |" + " ---: |" * len(systems))
    for g in groups:
        cells = []
        for s in systems:
            per_round = [sum(f["seconds"] for f in r["fits"] if f["group"] == g) for _, r in results[s]
                         if any(f["group"] == g for f in r["fits"])]
            cells.append(fmt(statistics.median(per_round)) if per_round else "—")
        L.append(f"| {g} (s) | " + " | ".join(cells) + " |")
    for g in groups:
        cells = []
        for s in systems:
            first = sorted(results[s], key=lambda x: x[0])[0][1]
            mse = [f["train_mse"] for f in first["fits"] if f["name"] == names[g]]
            cells.append(f"{mse[0]:.4f}" if mse else "—")
        L.append(f"| {names[g]}: train MSE | " + " | ".join(cells) + " |")
    return L


def svg(rows, peak, note=None):
    """One panel per row: a bar per system (its median), a tick at its minimum, the value and the ratio."""
    label_w, bar_w, width = 300, 420, 900
    y, parts = 40, []
    if note:
        parts.append(f'<text x="10" y="{y - 14}" font-size="13" fill="#b00000">{escape(note)}</text>')
        y += 16
    colors = {s: ("#1f6fb2" if s.startswith("gomlx") else "#e07b24") for s in SYSTEMS}
    for row, (title, unit, _) in ROWS.items():
        cells = rows[row]
        if not cells:
            continue
        parts.append(f'<text x="10" y="{y}" font-size="15" font-weight="bold">{escape(title)}</text>')
        y += 12
        top = max(c["median"] for c in cells.values()) or 1
        k = 1 if unit == "s" else 1000
        for s, c in cells.items():
            w = max(1.0, bar_w * c["median"] / top)
            tick = label_w + bar_w * c["min"] / top
            parts.append(f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" text-anchor="end">'
                         f'{escape(SYSTEMS.get(s, s))}</text>')
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="15" '
                         f'fill="{colors.get(s, "#888888")}"/>')
            parts.append(f'<line x1="{tick:.1f}" x2="{tick:.1f}" y1="{y + 1}" y2="{y + 20}" stroke="#222222" '
                         'stroke-width="1.5"/>')
            note = f"{fmt(c['median'] * k)} {unit}"
            if c["ratio"]:
                note += f"  ({fmt(c['ratio'])}× fastest peer)"
            parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12">{escape(note)}</text>')
            y += 22
        y += 30
    legend = ("Bars: median of the rounds; tick: fastest round. Blue: this project; orange: peers."
              + (f" Measured sgemm peak: {peak['gflops']:.0f} GFLOP/s." if peak else ""))
    parts.append(f'<text x="10" y="{y}" font-size="12" fill="#444444">{escape(legend)}</text>')
    height = y + 15
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">\n'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>\n' + "\n".join(parts) + "\n</svg>\n")


def check(out, rows):
    problems = []
    md = open(os.path.join(out, "RESULTS.md")).read()
    for row, (title, _, _) in ROWS.items():
        if f"## {title}" not in md:
            problems.append(f"no table for {row}")
            continue
        section = md.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
        if not rows[row]:
            problems.append(f"no system has a figure for {row}")
        for s in rows[row]:
            if not re.search(rf"\| {re.escape(SYSTEMS.get(s, s))} \| \d+ \| [\d.]+ \| [\d.]+ \|", section):
                problems.append(f"{row}: no figures for {s}")
    root = ET.parse(os.path.join(out, "results.svg")).getroot()
    bars = sum(1 for e in root.iter() if e.tag.endswith("rect")) - 1
    want = sum(len(c) for c in rows.values())
    if bars != want:
        problems.append(f"results.svg has {bars} bars, want {want}")
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run")
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    meta, results, failed, loads = load(a.run)
    if not results:
        sys.exit(f"report: no results in {a.run}")
    rows = table(meta, results)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "RESULTS.md"), "w") as f:
        f.write(markdown(meta, results, failed, loads, rows))
    with open(os.path.join(a.out, "results.svg"), "w") as f:
        m = meta["machine"]
        reduced = m.get("smoke") or float(m.get("scale", 1)) != 1.0
        f.write(svg(rows, meta["peak"], f"Reduced run (epochs × {m.get('scale')}): not the workload's timings."
                    if reduced else None))
    print(f"report: wrote {os.path.join(a.out, 'RESULTS.md')} and results.svg")
    if a.check:
        problems = check(a.out, rows)
        if failed:
            problems.append(f"failed runs: {', '.join(failed)}")
        if problems:
            sys.exit("report check failed:\n  " + "\n  ".join(problems))
        print(f"report: check passed ({len(results)} systems, {len(ROWS)} rows)")


if __name__ == "__main__":
    main()
