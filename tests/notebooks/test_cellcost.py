"""scripts/cellcost.py, briefly: one run of each probe cell on the warm cache the notebook tests leave.

It checks that the measurement command works and that what it reports holds together: a new cell links its
program, a rerun of the same code reuses it, and the parts add up to no more than the cell's time.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cellcost_reports_each_part(tmp_path):
    out = tmp_path / "cells.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "cellcost.py"), "--runs", "2", "--runall", "0",
                    "--json", str(out)], check=True, timeout=900)
    figures = json.loads(out.read_text())
    for probe in ("trivial", "table", "plot"):
        new, rerun = figures["probes"][f"{probe}, new"], figures["probes"][f"{probe}, rerun"]
        assert all(r["link"] > 0 for r in new), f"{probe}: a new cell must link its program: {new}"
        assert all(r["link"] == 0 for r in rerun), f"{probe}: a rerun must reuse its program: {rerun}"
        for r in new + rerun:
            parts = r["parse"] + r["goimports"] + r["build"] + r["run"]
            assert 0 < parts <= r["wall"], r
            assert r["compile"] + r["link"] <= r["build"], r
            assert r["fits"] + r["draw"] + r["display"] <= r["run"], r
    assert figures["summary"]["plot, rerun"]["draw"]["median"] > 0
