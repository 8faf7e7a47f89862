"""Runs notebook 1 in N GoNB kernels at once on one cold, shared fit cache, and counts how many times each fit
was trained and each remembered result computed (pkg/runner's $LECTURE_TRACE). Not part of the tests: it
takes minutes and loads the machine.

    .venv/bin/python scripts/shared_cache_load.py [--kernels 6] [--notebook notebooks/01_regularization.ipynb]

Prints one summary line per kind of work: how many distinct fits or results, and how many were done more
than once.
"""

import argparse
import collections
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import handouts  # noqa: E402


def run_one(args):
    path, log = args
    start = time.monotonic()
    with open(log, "w") as f:
        handouts.execute(path, f)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=6)
    parser.add_argument("--notebook", default=str(handouts.REPO / "notebooks" / "01_regularization.ipynb"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shared-cache-"))
    trace = work / "trace.txt"
    os.environ.update({"LECTURE_FIT_CACHE": str(work / "fits"), "LECTURE_TRACE": str(trace),
                       "LECTURE_PROGRESS": "off"})
    print(f"shared-cache: {args.kernels} kernels running {Path(args.notebook).name} on the cold cache {work / 'fits'}")
    with multiprocessing.Pool(args.kernels) as pool:
        times = pool.map(run_one, [(args.notebook, work / f"kernel-{i}.log") for i in range(args.kernels)])
    print("shared-cache: Run All took " + ", ".join(f"{t:.0f}s" for t in sorted(times)))
    counts = collections.Counter()
    for line in trace.read_text().splitlines():
        _, what, key = line.split(" ", 2)
        counts[(what.split("_", 1)[0], key)] += 1
    for kind in ("trained", "computed"):
        n = [c for (k, _), c in counts.items() if k == kind]
        repeated = sum(1 for c in n if c > 1)
        print(f"shared-cache: {kind}: {len(n)} distinct, {repeated} done more than once"
              f" (at most {max(n, default=0)} times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
