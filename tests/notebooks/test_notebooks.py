"""Executes every lecture notebook through the real GoNB kernel and checks what the lecture teaches.

The notebooks are run once per session (by scripts/handouts.py, exactly as the handout command runs them). The
figures checked are read from the executed notebooks: every table and the gradient plot carry a machine-readable
copy of their numbers under RESULTS_MIME (see pkg/lecture/scores.go), beside the HTML a reader sees. Artifacts
(executed notebooks, HTML handouts, a screenshot of one handout page, the run times) go to artifacts/.
"""

import json
import os
import re
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
RESULTS_MIME = "application/vnd.golecture.results+json"


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
def run():
    out = ARTIFACTS / "handouts"
    report = handouts.build(NOTEBOOKS, out)
    lines = [f"{name}: {seconds:.1f}s" for name, seconds, _ in report]
    (ARTIFACTS / "notebook_times.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    executed = {p.name: nbformat.read(out / p.name, as_version=4) for p in NOTEBOOKS}
    return executed, results_of(executed), out


def results_of(executed):
    """Collects the figures the notebooks showed: tables by title, plots by title, and a few printed lines."""
    r = {"tables": {}, "plots": {}, "text": ""}
    for nb in executed.values():
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.output_type == "stream":
                    r["text"] += o.text
                data = o.get("data", {})
                r["text"] += data.get("text/plain", "")  # pkg/lecture shows its text as displays.
                if RESULTS_MIME in data:
                    rec = json.loads(data[RESULTS_MIME])
                    if "table" in rec:
                        r["tables"][rec["table"]] = rec
                    else:
                        r["plots"][rec["plot"]] = rec
    return r


def outputs_text(cell):
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            yield o.name, o.text
        elif o.output_type == "error":
            yield "error", f"{o.ename}: {o.evalue}"
        elif "text/plain" in o.get("data", {}):
            yield "display", o.data["text/plain"]


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
    rows = r["tables"]["Training and validation MSE of the four approaches"]["rows"]
    assert [row["Lecture"] for row in rows] == ["model_somany", "model_256", "model_256_less_train", "ensemble"]
    train = [row["Ours"]["Train"] for row in rows]
    val = [row["Ours"]["Val"] for row in rows]
    assert min(train) == train[0], f"the big model should fit the training set best: {train}"
    assert min(val) == val[3], f"the ensemble should score best on validation data: {val}"
    assert rows[0]["Name"] == "5x512, 1000 epochs", "rows are labelled by the models passed"


def test_dropout_network_is_the_lectures(run):
    _, r, _ = run
    summary = r["text"]
    assert summary.count("(Dropout 0.2)") == 4, "the dropout model has a dropout layer after each of 4 hidden layers"
    names = [row["Name"] for row in r["tables"]["Dropout models"]["rows"]]
    assert names == ["5x1024, dropout 0.2 x4, 1000 epochs", "5x1024, dropout 0.05 x4, 1000 epochs"]


def test_beyond_the_lecture(run):
    _, r, _ = run
    assert r["tables"]["losses written out"]["max_rel_diff"] <= 1e-5, "the written-out loop should match the package"
    spread = r["plots"]["How the ten members differ from their average"]["spread"]
    assert spread["MeanSD"] > 0 and spread["MaxSD"] >= spread["MeanSD"]
    assert "differ from their average by" in r["text"]
    sweep = r["plots"]["Training and validation MSE against the dropout rate"]["rows"]
    assert [row["Rate"] for row in sweep] == [0, 0.05, 0.1, 0.2, 0.3, 0.5]
    assert len(r["tables"]["dropout check"]["rows"]) == 7
    depth = {row["Depth"]: row["Trained"] for row in r["plots"]["Share of 16 seeds that train, by depth (32 units per layer)"]["rows"]}
    assert sorted(depth) == [5, 9, 11, 13, 14, 15]
    assert depth[15] <= depth[13], f"the share that trains should not grow from 13 to 15 layers: {depth}"
    assert depth[5] > depth[15], f"shallow networks should train more often than 15-layer ones: {depth}"


NEW_PLOTS = {
    "loss-curves": "Training and validation loss of the 5 x 256 model",
    "hidden-units": "5 x 256: the last hidden layer's contributions: the pieces it adds up",
    "ensemble-spread": "How the ten members differ from their average",
    "dropout-sweep": "Training and validation MSE against the dropout rate",
    "depth-share": "Share of 16 seeds that train, by depth (32 units per layer)",
}


def test_new_plots_render(run):
    """Each plot added beyond the lecture is in the notebook, and a screenshot of it goes to artifacts/plots."""
    executed, _, _ = run
    html = {}
    for nb in executed.values():
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                data = o.get("data", {})
                if RESULTS_MIME in data and "plot" in json.loads(data[RESULTS_MIME]):
                    html[json.loads(data[RESULTS_MIME])["plot"]] = data["image/svg+xml"]
    out = ARTIFACTS / "plots"
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    for name, title in NEW_PLOTS.items():
        assert title in html and "<svg" in html[title], f"no plot titled {title!r}"
        page = out / f"{name}.html"
        page.write_text(f'<html><body style="margin:0">{html[title]}</body></html>', encoding="utf-8")
        if chromium:
            shot = out / f"{name}.png"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={ARTIFACTS / 'chromium-profile'}", "--hide-scrollbars",
                            "--window-size=900,760", f"--screenshot={shot}", page.as_uri()],
                           check=True, capture_output=True, timeout=120)
            assert shot.stat().st_size > 20_000, f"the screenshot of {name} looks blank"


def outputs_of(nb):
    return [json.dumps(cell.get("outputs", []), sort_keys=True) for cell in nb.cells]


def test_handouts_do_not_depend_on_the_cache(run, tmp_path):
    """Built again (the fit cache now warm; on a clean clone the first build was cold), every output is the same
    byte for byte, and the pages' titles are the notebooks' titles."""
    executed, _, _ = run
    handouts.build(NOTEBOOKS, tmp_path)
    for p in NOTEBOOKS:
        again = nbformat.read(tmp_path / p.name, as_version=4)
        first, second = outputs_of(executed[p.name]), outputs_of(again)
        changed = [i for i, (a, b) in enumerate(zip(first, second)) if a != b]
        assert len(first) == len(second) and not changed, f"{p.name}: cells {changed} differ between the builds"
        html = (tmp_path / (p.stem + ".html")).read_text(encoding="utf-8")
        assert f"<title>{handouts.title_of(again)}</title>" in html


def test_student_handout_leaves_out_code_talk(run):
    _, _, out = run
    student = (out / "01_regularization.student.html").read_text(encoding="utf-8")
    teacher = (out / "01_regularization.html").read_text(encoding="utf-8")
    for phrase in ["%rm", "mlp.DrawSeeds", "lecture.PlotFit", "dropoutNet"]:
        assert phrase not in student, f"the student handout talks about code: {phrase}"
    assert "%rm" in teacher
    assert "<title>Regularization: smaller models" in student


def test_depth_story_and_vanishing_gradients(run):
    _, r, _ = run
    variance = float(re.search(r"validation targets' variance\): ([0-9.]+)", r["text"]).group(1))
    rows = {row["Name"]: row["Ours"] for row in r["tables"]["Deeper networks of 32-unit layers"]["rows"]}
    assert rows["13x32, 1000 epochs"]["Val"] < 2 * rows["5x256, 1000 epochs"]["Val"], "13 layers should fit"
    assert abs(rows["15x32, 1000 epochs"]["Val"] - variance) < 0.1 * variance, "15 layers should be stuck at a constant"
    grads = r["plots"]["Largest kernel gradient in each layer"]["max_abs_grad_by_layer"]
    assert grads["15 layers, after 1000 epochs"][0] < 1e-6
    assert grads["15 layers, at initialization"][0] < 1e-6
    assert grads["13 layers, after 1000 epochs"][0] > 1e-4
    sweep = r["tables"]["seed sweep"]
    assert 1 <= sweep["stuck"] < len(sweep["rows"]), "the seed sweep should show both outcomes"


def test_handouts_are_self_contained_and_render(run):
    _, _, out = run
    for p in NOTEBOOKS:
        for suffix in (".html", ".student.html"):
            html = (out / (p.stem + suffix)).read_text(encoding="utf-8")
            assert handouts.EXTERNAL.search(html) is None
            assert html.count("data:image/svg+xml;base64,") >= 3, f"{p.stem}{suffix} lacks its plots"
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
