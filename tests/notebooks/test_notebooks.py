"""Executes every lecture notebook through the real GoNB kernel and checks what the lecture teaches.

The notebooks are run once per session (by scripts/handouts.py, exactly as the handout command runs them),
with $LECTURE_RESULTS pointing at a file where pkg/lecture records the figures it shows. Artifacts (executed
notebooks, HTML handouts, a screenshot of one handout page, the run times) go to artifacts/.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import handouts  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ARTIFACTS = REPO / "artifacts"


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_regularization.ipynb", "02_vanishing_gradients.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "gonb", "notebooks must name the GoNB kernelspec"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results") / "results.jsonl"
    os.environ["LECTURE_RESULTS"] = str(results)  # Inherited by the kernel and every cell it runs.
    os.environ.setdefault("LECTURE_PROGRESS", "off")
    out = ARTIFACTS / "handouts"
    report = handouts.build(NOTEBOOKS, out)
    lines = [f"{name}: {seconds:.1f}s" for name, seconds, _ in report]
    (ARTIFACTS / "notebook_times.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    records = {}
    for line in results.read_text().splitlines():
        rec = json.loads(line)
        records[rec["key"]] = rec["value"]
    executed = {p.name: nbformat.read(out / p.name, as_version=4) for p in NOTEBOOKS}
    return executed, records, out


def outputs_text(cell):
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            yield o.name, o.text
        elif o.output_type == "error":
            yield "error", f"{o.ename}: {o.evalue}"


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_no_error_output(run, name):
    executed, _, _ = run
    for i, cell in enumerate(executed[name].cells):
        for kind, text in outputs_text(cell):
            assert kind != "error", f"{name} cell {i}: {text}"
            assert kind != "stderr" or not text.strip(), f"{name} cell {i} wrote to stderr: {text[:500]}"
            bad = [l for l in text.splitlines() if l.startswith("error:")]
            assert not bad, f"{name} cell {i}: {bad}"


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_every_plot_cell_shows_an_svg(run, name):
    executed, _, _ = run
    plot_cells = 0
    for i, cell in enumerate(executed[name].cells):
        if cell.cell_type != "code" or "lecture.Plot" not in cell.source:
            continue
        plot_cells += 1
        svgs = [o for o in cell.outputs if o.output_type == "display_data"
                and ("<svg" in o.data.get("text/html", "") or "image/svg+xml" in o.data)]
        want = cell.source.count("lecture.Plot")
        assert len(svgs) >= want, f"{name} cell {i}: {len(svgs)} SVG outputs for {want} plot calls"
    assert plot_cells >= 3


def test_four_approaches_tell_the_lectures_story(run):
    _, r, _ = run
    rows = ["model_somany (5x512)", "model_256 (5x256)", "model_256_less_train (mean)", "ensemble (average of 10)"]
    train = {k: r[k]["Train"] for k in rows}
    val = {k: r[k]["Val"] for k in rows}
    assert min(train, key=train.get) == rows[0], f"the big model should fit the training set best: {train}"
    assert min(val, key=val.get) == rows[3], f"the ensemble should score best on validation data: {val}"


def test_depth_story_and_vanishing_gradients(run):
    _, r, _ = run
    variance = r["val_variance"]
    assert r["13 x 32"]["Val"] < 2 * r["5 x 256 (reference)"]["Val"], "13 layers should fit"
    assert abs(r["15 x 32"]["Val"] - variance) < 0.1 * variance, "15 layers should be stuck at a constant"
    assert r["first_layer_max_grad/15 layers, after 1000 epochs"] < 1e-6
    assert r["first_layer_max_grad/15 layers, at initialization"] < 1e-6
    assert r["first_layer_max_grad/13 layers, after 1000 epochs"] > 1e-4
    assert 1 <= r["seed_sweep_15x32_stuck"] < 8, "the seed sweep should show both outcomes"


def test_handouts_are_self_contained_and_render(run):
    _, _, out = run
    for p in NOTEBOOKS:
        for suffix in (".html", ".student.html"):
            html = (out / (p.stem + suffix)).read_text(encoding="utf-8")
            assert handouts.EXTERNAL.search(html) is None
            assert html.count("<svg") >= 3, f"{p.stem}{suffix} lacks its plots"
        student = (out / (p.stem + ".student.html")).read_text(encoding="utf-8")
        assert "lecture.Setup()" not in student, "the student handout must not show code"
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed: scripts/setup.sh --browser installs it")
    shot = ARTIFACTS / "handout_page.png"
    shot.unlink(missing_ok=True)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={ARTIFACTS / 'chromium-profile'}", "--hide-scrollbars",
                    "--window-size=1280,1800", f"--screenshot={shot}",
                    (out / "01_regularization.student.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000, "the screenshot looks blank"
