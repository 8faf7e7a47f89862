"""What scripts/setup.sh leaves behind, checked where a lecturer would trip over it."""

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_kernelspec_does_not_capture_the_callers_backend():
    # One `GOMLX_BACKEND=go scripts/lab.sh` must not switch every later kernel to the Go backend.
    env = dict(os.environ, GOMLX_BACKEND="go")
    subprocess.run(["bash", str(REPO / "scripts" / "setup.sh")], env=env, check=True, capture_output=True, timeout=600)
    spec = json.loads((REPO / ".venv" / "share" / "jupyter" / "kernels" / "gonb" / "kernel.json").read_text())
    assert "GOMLX_BACKEND" not in spec.get("env", {}), spec["env"]
    assert spec["env"]["GOEXPERIMENT"].split(",").count("simd") == 1
