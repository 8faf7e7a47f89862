"""Writes bench/XLA-VERSION.md from a run of `scripts/bench.sh --xla-version`: the per-epoch rows of this
project (XLA CPU through the PJRT plugin), of JAX 0.12 (bench/.venv) and of JAX 0.11.2, whose XLA release is
the plugin's, so that the gap to JAX can be split into what the XLA release explains and what it does not.

Usage: python3 bench/xla_version.py RUN_DIR --out FILE
"""

import argparse
import glob
import json
import os
import statistics
import sys

SYSTEMS = [
    ("gomlx-xla", "this project, XLA CPU (plugin = XLA of JAX 0.11.2)"),
    ("jax-scan-0.11.2", "JAX 0.11.2, epochs in one lax.scan"),
    ("jax-scan", "JAX {pinned}, epochs in one lax.scan"),
]
ROWS = [
    ("adam_5x512", "Adam epoch 5 x 512, 50 points"),
    ("val_5x256", "validation pass 5 x 256, 10,000 points"),
    ("adam_5x1024_dropout", "Adam epoch 5 x 1024, dropout 0.2"),
    ("adam_15x32", "Adam epoch 15 x 32, 50 points"),
]


def fmt(ms):
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 10 else f"{ms:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    machine = json.load(open(os.path.join(a.run_dir, "machine.json")))
    times = {}  # (system, row) -> [ms per round]
    rounds = 0
    for path in sorted(glob.glob(os.path.join(a.run_dir, "r*-*.json"))):
        system = os.path.basename(path)[:-5].split("-", 1)[1]
        try:
            res = json.load(open(path))
        except (OSError, ValueError) as e:
            sys.exit(f"xla_version: {path} is not a finished run ({e}); see its .log next to it")
        rounds = max(rounds, int(os.path.basename(path)[1:].split("-", 1)[0]))
        for m in res["micro"]:
            times.setdefault((system, m["row"]), []).append(m["ms"])
    missing = [f"{s}/{r}" for s, _ in SYSTEMS for r, _ in ROWS if (s, r) not in times]
    if missing:
        sys.exit(f"xla_version: no figure for {', '.join(missing)} in {a.run_dir}")

    pinned = machine["jax_pinned"]["jax"]
    loads = [line.split("\t") for line in open(os.path.join(a.run_dir, "load.tsv")).read().splitlines()]
    out = [
        "# The per-epoch gap to JAX, and the XLA release",
        "",
        f"Written by `scripts/bench.sh --xla-version` ({machine['date']}); raw JSON in `{machine['raw']}`.",
        f"Machine: {machine['cpu']}, {machine['cores']} cores; {machine['go']}; plugin `{machine['plugin']}` "
        f"(PyPI `lammps-jax-pjrt-cpu==0.11.2`, built from JAX 0.11.2's XLA). {rounds} rounds, the three systems "
        "interleaved in each; 1-minute load average before each run: "
        + ", ".join(load for _, _, load in loads) + ".",
        "",
        "The same rows, data and measurement as `bench/RESULTS.md` (see `bench/README.md`). If JAX 0.11.2 is as "
        "slow as this project on a row, the XLA release explains that row's gap to JAX "
        f"{pinned}; if it is as fast as JAX {pinned}, the gap lies elsewhere. The ratios are of the minima: on "
        "this shared machine another tenant can only slow a run down (a row's runs can differ by 2x), so the "
        "fastest run is the best estimate of each system's own cost.",
        "",
        "| row | " + " | ".join(name.format(pinned=pinned) + ", min / median (ms)" for _, name in SYSTEMS)
        + " | this project ÷ JAX 0.11.2 | JAX 0.11.2 ÷ JAX " + pinned + " |",
        "| --- |" + " ---: |" * (len(SYSTEMS) + 2),
    ]
    for row, label in ROWS:
        best = {s: min(times[(s, row)]) for s, _ in SYSTEMS}
        cells = [f"{fmt(best[s])} / {fmt(statistics.median(times[(s, row)]))}" for s, _ in SYSTEMS]
        out.append(f"| {label} | " + " | ".join(cells)
                   + f" | {best['gomlx-xla'] / best['jax-scan-0.11.2']:.2f} | {best['jax-scan-0.11.2'] / best['jax-scan']:.2f} |")
    out.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    print(f"xla_version: wrote {a.out}")


if __name__ == "__main__":
    main()
