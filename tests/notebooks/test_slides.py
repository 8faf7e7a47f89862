"""The notebooks as slides: their slide metadata (read by JupyterLab's RISE and by nbconvert) and the reveal.js
slides handout that scripts/handouts.py exports. Fast: nothing here runs a kernel; the browser test
(tests/browser/slides.spec.mjs) opens the slides and presents them in the lab."""

import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import handouts  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def is_code_note(cell):
    return handouts.CODE_NOTE in cell.metadata.get("tags", [])


def sections(nb):
    """The titles of the notebook's sections as a reader sees them: the title cell, then every ## heading of
    a cell that is not code-note."""
    titles = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or is_code_note(cell):
            continue
        heads = [l for l in cell.source.splitlines() if l.startswith("#")]
        if i == 0 or (heads and heads[0].startswith("## ")):
            titles.append(heads[0].lstrip("#").strip())
    return titles


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_slide_metadata(path):
    nb = nbformat.read(path, as_version=4)
    types = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert None not in types, f"cells without a slide type: {[i for i, t in enumerate(types) if t is None]}"
    assert types[0] == "slide"
    for i, (cell, kind) in enumerate(zip(nb.cells, types)):
        if is_code_note(cell):
            want = "notes" if cell.cell_type == "markdown" else "skip"
            assert kind == want, f"cell {i} is code-note: {want}, not {kind}"
        elif cell.cell_type == "code":
            assert kind == "subslide", f"cell {i}: a code cell and its figure start a sub-slide, not {kind}"
    heading_slides = [i for i, c in enumerate(nb.cells) if types[i] == "slide"]
    assert len(heading_slides) == len(sections(nb)) >= 4, "one slide per section"
    assert nb.metadata.get("rise", {}).get("scroll") is True, "a tall slide scrolls in RISE"


class SlideCounter(HTMLParser):
    """Counts <section> elements at the top level (slides) and nested (sub-slides), and the text of the h1 and h2
    headings shown on slides (not those in speaker notes)."""

    def __init__(self):
        super().__init__()
        self.depth, self.slides, self.subslides, self.h2, self.in_h, self.in_notes = 0, 0, 0, [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.slides += 1
            else:
                self.subslides += 1
        elif tag == "aside":
            self.in_notes = True
        elif tag in ("h1", "h2") and not self.in_notes:
            self.in_h = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1
        elif tag == "aside":
            self.in_notes = False
        elif tag in ("h1", "h2") and self.in_h is not None:
            self.h2.append(self.in_h.replace("¶", "").strip())
            self.in_h = None

    def handle_data(self, data):
        if self.in_h is not None:
            self.in_h += data


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_slides_handout_has_a_slide_per_section_and_no_network(path):
    assert handouts.REVEAL.is_dir(), "scripts/setup.sh installs reveal.js into .tools/reveal (it needs npm)"
    nb = nbformat.read(path, as_version=4)
    html = handouts.to_slides(nb)
    assert handouts.EXTERNAL.search(html) is None
    assert "Reveal.initialize(" in html and "RevealNotes" in html, "reveal.js and its notes plugin are inlined"
    counter = SlideCounter()
    counter.feed(html)
    assert counter.depth == 0, "unbalanced <section> tags"
    assert counter.slides == len(sections(nb)), f"{counter.slides} slides for sections {sections(nb)}"
    assert counter.h2 == sections(nb), "each slide opens with its section's heading"
    assert counter.subslides > counter.slides, "long sections are split into sub-slides"
    # Code-note text travels as speaker notes, never on a slide.
    notes = [c for c in nb.cells if is_code_note(c) and c.cell_type == "markdown"]
    assert html.count('<aside class="notes">') == len(notes)
