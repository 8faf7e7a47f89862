"""Executes the lecture notebooks through the GoNB kernel and writes HTML handouts.

For each notebook it writes, into the output folder:
  <name>.ipynb          the executed notebook (outputs included),
  <name>.html           the handout with code and outputs,
  <name>.student.html   the same without code cells (only explanations and outputs),
  <name>.slides.html    reveal.js slides (the cells' slide metadata), reveal.js inlined from .tools/reveal,
  <name>.pdf            the handout with code printed to PDF by headless Chromium, where it is installed.

Handouts are self-contained: plots are inline SVG, CSS is inlined, and the template drops the scripts the
stock template loads from the network. Run through scripts/handouts.sh, which sets up the environment first.
The notebook tests (tests/notebooks) import this module to execute the notebooks the same way.
"""

import argparse
import copy
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter, SlidesExporter

SCRIPTS = Path(__file__).resolve().parent  # Holds the handout_template/ nbconvert template.
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS / "labexport"))
import golecture_labexport  # noqa: E402  The lab's PDF export: the same printing for the PDF handout.
# A <script>, <link>, <img> or <iframe> that would fetch something from another host when the page opens.
EXTERNAL = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"']?(https?:)?//", re.I)


def execute(path, log, timeout=3600):
    """Runs every cell of the notebook at path in a fresh GoNB kernel, its own log appended to the open file
    log; returns the executed notebook and the wall time in seconds. Raises nbclient's CellExecutionError on a
    cell whose kernel reports an error."""
    nb = nbformat.read(path, as_version=4)
    # coalesce_streams: one stream output per cell and stream, however the kernel chunked it in time.
    client = NotebookClient(nb, kernel_name="gonb", timeout=timeout, coalesce_streams=True,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    start = time.monotonic()
    client.execute(stdout=log, stderr=log)  # Handed to the kernel's process: its log stays out of the terminal.
    return nb, time.monotonic() - start


# reveal.js as scripts/setup.sh installs it (pinned by scripts/reveal/package-lock.json).
REVEAL = REPO / ".tools" / "reveal" / "node_modules" / "reveal.js"
# A theme's @import of its web fonts: dropped, so the slides use the system's fonts and fetch nothing.
CSS_IMPORT = re.compile(r"@import url\([^)]*\);")


def offline_reveal():
    """The text of reveal.js, its stylesheet, the white theme and the speaker-notes plugin, for inlining."""
    def read(rel):
        path = REVEAL / rel
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: scripts/setup.sh installs reveal.js (it needs npm)")
        return path.read_text(encoding="utf-8")
    return {"js": read("dist/reveal.js"), "css": read("dist/reveal.css"),
            "theme": CSS_IMPORT.sub("", read("dist/theme/white.css")), "notes": read("plugin/notes/notes.js")}


def to_slides(nb):
    """The notebook as one self-contained reveal.js page: a slide per section (the cells' slideshow
    metadata), the code-note cells as speaker notes or left out."""
    exporter = SlidesExporter(template_name="slides_template", extra_template_basedirs=[str(SCRIPTS)],
                              exclude_input_prompt=True, exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title_of(nb)},
                                                         "offline_reveal": offline_reveal()})
    found = EXTERNAL.search(html)
    if found:
        raise RuntimeError(f"slides would fetch an external resource: {found.group(0)!r}")
    return html


# Markdown cells tagged so talk about the code; the student handout, which shows no code, leaves them out.
CODE_NOTE = "code-note"


def title_of(nb):
    """The notebook's first Markdown heading, for the page title."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "Notebook"


def to_html(nb, with_code):
    exporter = HTMLExporter(template_name="handout_template", extra_template_basedirs=[str(SCRIPTS)],
                            exclude_input=not with_code, exclude_input_prompt=not with_code,
                            exclude_output_prompt=True)
    if not with_code:
        nb = copy.deepcopy(nb)
        nb.cells = [c for c in nb.cells if CODE_NOTE not in c.metadata.get("tags", [])]
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title_of(nb)}})
    found = EXTERNAL.search(html)
    if found:
        raise RuntimeError(f"handout would fetch an external resource: {found.group(0)!r}")
    return html


def build(notebooks, out_dir, log_path=None):
    """Executes and exports each notebook; returns a list of (name, seconds, [written paths]). The kernels'
    own log goes to log_path (default: .tools/logs/handouts-kernel.log)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # A handout is a record, not a live view: no progress lines, whose timings would make a handout built on a
    # cold fit cache differ from one built on a warm one.
    os.environ["LECTURE_PROGRESS"] = "off"
    # Nor sliders: a knob cell shows its default value's figures (pkg/lecture, KnobsEnvVar).
    os.environ["LECTURE_KNOBS"] = "off"
    log_path = Path(log_path or REPO / ".tools" / "logs" / "handouts-kernel.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    report = []
    with open(log_path, "w", encoding="utf-8") as log:
        for path in notebooks:
            report.append(build_one(Path(path), out_dir, log))
    return report


def has_chromium():
    try:
        return bool(golecture_labexport.chromium())
    except RuntimeError:
        return False


def build_one(path, out_dir, log):
    """Executes one notebook and writes it, its handout and its student handout; returns (name, seconds, paths)."""
    nb, seconds = execute(path, log)
    written = [out_dir / f"{path.stem}.ipynb", out_dir / f"{path.stem}.html", out_dir / f"{path.stem}.student.html"]
    nbformat.write(nb, written[0])
    written[1].write_text(to_html(nb, with_code=True), encoding="utf-8")
    written[2].write_text(to_html(nb, with_code=False), encoding="utf-8")
    if REVEAL.is_dir():  # Without npm, setup.sh installs no reveal.js: main() says the slides were not made.
        written.append(out_dir / f"{path.stem}.slides.html")
        written[-1].write_text(to_slides(nb), encoding="utf-8")
    if has_chromium():  # Without Chromium (setup.sh --browser installs it), main() says there is no PDF.
        written.append(out_dir / f"{path.stem}.pdf")
        written[-1].write_bytes(golecture_labexport.print_pdf(written[1].read_text(encoding="utf-8")))
    return path.name, seconds, written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="handouts", help="output folder (default: handouts)")
    parser.add_argument("--log", default=None, help="the kernels' log (default: .tools/logs/handouts-kernel.log)")
    parser.add_argument("notebooks", nargs="+", help="notebooks to execute")
    args = parser.parse_args()
    log = Path(args.log or REPO / ".tools" / "logs" / "handouts-kernel.log")
    print(f"handouts: executing {len(args.notebooks)} notebooks; the kernel's log goes to {log}")
    try:
        report = build(args.notebooks, args.out, log)
    except Exception as err:  # One readable line; nbclient's message already names the failing cell.
        first = str(err).strip().splitlines()
        print(f"handouts: {type(err).__name__}: {first[0] if first else err}", file=sys.stderr)
        print(f"handouts: see the kernel's log {log}; outputs written so far are kept in "
              f"{os.path.abspath(args.out)}", file=sys.stderr)
        return 1
    for name, seconds, written in report:
        print(f"handouts: {name} executed in {seconds:.0f}s")
        for w in written:
            print(f"  {w.resolve()}")
    if not REVEAL.is_dir():
        print(f"handouts: no slides: reveal.js is not in {REVEAL} (scripts/setup.sh installs it where npm is)")
    if not has_chromium():
        print("handouts: no PDF: Chromium is not installed (scripts/setup.sh --browser installs it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
