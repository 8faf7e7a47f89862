"""Where a warm notebook cell's time goes, and what a warm Run All costs.

    .venv/bin/python scripts/cellcost.py                 # both, on this machine (about 4 minutes)
    .venv/bin/python scripts/cellcost.py --no-reuse      # the same with GoNB's reuse of cell programs off
    .venv/bin/python scripts/cellcost.py --no-stamps     # reuse on, but `go build` run for every cell
    .venv/bin/python scripts/cellcost.py --json F        # also write the figures
    .venv/bin/python scripts/cellcost.py --report A.json B.json   # a Markdown page from such files
    scripts/bench.sh --cells                              # both, into bench/raw/ and bench/CELLS.md

It starts the project's GoNB kernel on the warm fit cache and runs notebook 1's code cells once (every
declaration made, every program built), then three probe cells after all of them: a trivial cell (prints a
line), a table (lecture.ScoreTable) and a plot (lecture.PlotFit), each --runs times as a cell the kernel has
not built before (a new comment in it each time) and --runs times as a rerun of the same code (what
*Restart Kernel and Run All* meets after the first run). For each it prints the wall and CPU seconds,
split into GoNB's steps (parsing, goimports, `go build` with its compile and link, running the program;
from GoNB's $GONB_CELL_TIMINGS) and the program's own parts (from pkg/cellcost: start-up until Go code runs,
loading fits, XLA work, drawing, sending output).

Then it restarts the kernel and runs all code cells of each notebook once (which builds that notebook's
programs) and --runall more times, each after a restart (min and median of those).

CPU seconds count every process of the kernel: GoNB and what it waited for (goimports, go, compile, link,
the program), read from GoNB's own accounting, and the kernel's other processes (gopls), read from /proc.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = [REPO / "notebooks" / "01_regularization.ipynb", REPO / "notebooks" / "02_vanishing_gradients.ipynb"]
PROBES = {
    "trivial": '%%\nfmt.Println("a cell that only prints")',
    "table": '%%\nlecture.ScoreTable("Two fits", modelSoMany, model256)',
    "plot": "%%\nlecture.PlotFit(model256)",
}
TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid):
    """CPU seconds of pid and its live descendants, each with the children it has waited for."""
    total = 0.0
    children = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(d.name), fields))
    todo = [pid]
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for child, fields in children.get(p, []):
            todo.append(child)
        try:
            fields = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return total


class Kernel:
    def __init__(self, env, log):
        self.km = KernelManager(kernel_name="gonb")
        self.log = open(log, "w")
        self.km.start_kernel(env=env, stdout=self.log, stderr=self.log)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    @property
    def pid(self):
        return self.km.provisioner.process.pid

    def run(self, code, timeout=1800):
        """Executes code; returns (wall s, CPU s, error text or None)."""
        cpu0, t0 = tree_cpu(self.pid), time.monotonic()
        msg_id = self.kc.execute(code)
        error = None
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                error = content.get("evalue", "error")
            elif kind == "stream" and content.get("name") == "stderr" and "error" in content.get("text", ""):
                error = error or content["text"].strip()[:200]
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = self.kc.get_shell_msg(timeout=timeout)
        if reply["content"].get("status") != "ok":
            error = error or reply["content"].get("evalue", "failed")
        return time.monotonic() - t0, tree_cpu(self.pid) - cpu0, error

    def restart(self):
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=120)

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def code_cells(path):
    return ["".join(c.source) for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]


def read_lines(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def breakdown(gonb, parts):
    """One execution's parts, in seconds: GoNB's steps and the program's."""
    row = {}
    for step in ("parse", "goimports", "build", "run"):
        if step in gonb:
            row[step] = gonb[step]["wall"]
            row[step + " cpu"] = gonb[step]["cpu"]
    row["compile"] = gonb.get("compile_main", 0.0)
    row["link"] = gonb.get("link", 0.0) if gonb.get("linked") else 0.0
    row["go command"] = row.get("build", 0.0) - row["compile"] - row["link"]
    start = [p for p in parts if p["part"] == "init"]
    if start and "run_start_unix_ns" in gonb:
        row["start"] = (start[0]["unix_ns"] - gonb["run_start_unix_ns"]) / 1e9
    for name in ("fits", "backend", "remembered", "compute", "draw", "display"):
        row[name] = sum(p["s"] for p in parts if p["part"] == name)
    return row


def measure_probes(kernel, timings, costs, runs):
    results = {}
    serial = 0
    for name, code in PROBES.items():
        for kind in ("new", "rerun"):
            rows = []
            for _ in range(runs):
                serial += 1
                cell = code if kind == "rerun" else f"{code} // probe {serial} {time.time_ns()}"
                n0, m0 = len(read_lines(timings)), len(read_lines(costs))
                wall, cpu, err = kernel.run(cell)
                if err:
                    sys.exit(f"cellcost: probe {name} failed: {err}")
                gonb = read_lines(timings)[n0:]
                parts = read_lines(costs)[m0:]
                row = breakdown(gonb[-1] if gonb else {}, parts)
                row.update(wall=wall, cpu=cpu)
                rows.append(row)
            if kind == "rerun":
                rows = rows[1:] if len(rows) > 1 else rows  # The first may be the first build of that code.
            results[f"{name}, {kind}"] = rows
    return results


def summarize(rows):
    keys = rows[0].keys()
    return {k: {"min": min(r.get(k, 0.0) for r in rows), "median": statistics.median(r.get(k, 0.0) for r in rows)}
            for k in keys}


COLUMNS = [("wall", "cell wall"), ("cpu", "cell CPU"), ("parse", "GoNB parse"), ("goimports", "goimports"),
           ("go command", "go command"), ("compile", "compile"), ("link", "link"), ("run", "program"),
           ("start", "start"), ("fits", "load fits"), ("compute", "XLA + compute"), ("draw", "draw"),
           ("display", "display")]


def table(summary):
    lines = ["| cell | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|" + "---:|" * len(COLUMNS)]
    for name, s in summary.items():
        lines.append(f"| {name} | " + " | ".join(f"{s[k]['median']:.3f}" if k in s else "" for k, _ in COLUMNS) + " |")
    return "\n".join(lines)


def runall_table(runall):
    lines = ["| notebook | code cells | Run All wall min / median (s) | CPU min / median (CPU-s) |",
             "|---|---:|---|---|"]
    for name, r in runall.items():
        lines.append(f"| {name} | {r['cells']} | {min(r['wall']):.1f} / {statistics.median(r['wall']):.1f} | "
                     f"{min(r['cpu']):.1f} / {statistics.median(r['cpu']):.1f} |")
    return "\n".join(lines)


def measure(args):
    work = Path(tempfile.mkdtemp(prefix="cellcost-"))
    timings, costs = work / "gonb.jsonl", work / "program.jsonl"
    env = dict(os.environ, GONB_CELL_TIMINGS=str(timings), LECTURE_CELL_COST=str(costs), LECTURE_KNOBS="off")
    if args.no_reuse:
        env["GONB_CELL_BINARIES"] = "0"
    if args.no_stamps:
        env["GONB_CELL_STAMPS"] = "0"
    kernel = Kernel(env, work / "kernel.log")
    try:
        cells = code_cells(NOTEBOOKS[0])
        print(f"# notebook 1: {len(cells)} code cells, once, to make every declaration", flush=True)
        for code in cells:
            _, _, err = kernel.run(code)
            if err:
                sys.exit(f"cellcost: a cell of notebook 1 failed: {err}")
        built = [json.loads(line) for line in timings.read_text().splitlines()] if timings.exists() else []
        built = [r for r in built if "build" in r]
        why = sorted({r["build_why"] for r in built if r.get("build_why")})
        print(f"# notebook 1: {sum(bool(r.get('build_skipped')) for r in built)} of {len(built)} built cells ran "
              f"their kept program without `go build`; {sum(bool(r.get('linked')) for r in built)} linked"
              + (f" (go build because: {'; '.join(why[:3])})" if why else ""), flush=True)
        probes = measure_probes(kernel, timings, costs, args.runs)
        summary = {k: summarize(v) for k, v in probes.items()}
        print(f"\n## A warm cell after all of notebook 1's declarations (median of {args.runs} runs; seconds)\n\n"
              + table(summary), flush=True)

        runall = {}
        for nb in NOTEBOOKS if args.runall > 0 else []:
            cells = code_cells(nb)
            walls, cpus = [], []
            for i in range(args.runall + 1):
                kernel.restart()
                wall = cpu = 0.0
                for code in cells:
                    w, c, err = kernel.run(code)
                    if err:
                        sys.exit(f"cellcost: a cell of {nb.name} failed: {err}")
                    wall, cpu = wall + w, cpu + c
                what = "not counted: builds this notebook's programs" if i == 0 else "counted"
                print(f"# {nb.name}: Run All {i} after a restart: {wall:.1f} s, {cpu:.1f} CPU-s ({what})", flush=True)
                if i > 0:
                    walls.append(wall)
                    cpus.append(cpu)
            runall[nb.name] = {"cells": len(cells), "wall": walls, "cpu": cpus}
        if runall:
            print("\n## Warm Run All after a restart\n\n" + runall_table(runall))
    finally:
        kernel.stop()
    return {"reuse": not args.no_reuse, "runs": args.runs, "probes": probes, "summary": summary,
            "runall": runall, "cpu_model": cpu_model(), "cpus": os.cpu_count(),
            "load_before": os.getloadavg(), "date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def report(paths):
    """A Markdown page from measurements (JSON files written by --json), in the order given."""
    out = []
    for p in paths:
        f = json.loads(Path(p).read_text())
        out += [f"### {f.get('label') or Path(p).stem}", "",
                f"Measured {f['date']} on {f['cpu_model']}, {f['cpus']} cores; reuse of cell programs "
                f"{'on' if f['reuse'] else 'off'}; `{Path(p).name}`.", "",
                f"A warm cell after all of notebook 1's declarations, median of {f['runs']} runs (seconds):", "",
                table(f["summary"]), ""]
        if f["runall"]:
            out += ["Warm Run All after a restart:", "", runall_table(f["runall"]), ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="executions of each probe cell (default 5)")
    ap.add_argument("--runall", type=int, default=3, help="Run Alls of each notebook after a restart (default 3; 0: none)")
    ap.add_argument("--no-reuse", action="store_true", help="GONB_CELL_BINARIES=0: link every cell's program")
    ap.add_argument("--no-stamps", action="store_true",
                    help="GONB_CELL_STAMPS=0: run `go build` for every cell, even one nothing could have changed")
    ap.add_argument("--label", help="what this measurement is, for the report")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--report", nargs="+", metavar="JSON", help="print a Markdown page from earlier --json files")
    args = ap.parse_args()
    if args.report:
        print(report(args.report))
        return
    figures = measure(args)
    figures["label"] = args.label
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
