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


def test_a_notebook_saved_by_the_lab_is_clean_in_git(tmp_path):
    """JupyterLab saves outputs, execution counts and timings, and the kernel's language_info (with the Go version
    of the kernel binary): the clone's git filter must turn all of that back into the committed file."""
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        import pytest
        pytest.skip("not a git clone")
    subprocess.run(["bash", str(REPO / "scripts" / "setup.sh")], check=True, capture_output=True, timeout=600)
    for rel in ["notebooks/01_regularization.ipynb", "notebooks/02_vanishing_gradients.ipynb"]:
        nb = json.loads((REPO / rel).read_text())
        nb["metadata"]["language_info"] = {"codemirror_mode": "", "file_extension": ".go", "mimetype": "text/x-go",
                                           "name": "go", "nbconvert_exporter": "", "pygments_lexer": "go",
                                           "version": "go1.99.9"}
        for i, cell in enumerate(nb["cells"]):
            cell["metadata"]["scrolled"] = True
            if cell["cell_type"] == "code":
                cell["execution_count"] = i + 1
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "saved by the lab\n"}]
                cell["metadata"]["execution"] = {"iopub.execute_input": "2026-11-29T10:00:00.000Z"}
        saved = tmp_path / Path(rel).name
        saved.write_text(json.dumps(nb, indent=1))
        cleaned = subprocess.run(["git", "-C", str(REPO), "hash-object", f"--path={rel}", str(saved)],
                                 check=True, capture_output=True, text=True).stdout.strip()
        committed = subprocess.run(["git", "-C", str(REPO), "hash-object", f"--path={rel}", str(REPO / rel)],
                                   check=True, capture_output=True, text=True).stdout.strip()
        assert cleaned == committed, f"{rel}: a notebook saved by the lab would show as modified in git status"
