"""The lab's own exports (File > Save and Export Notebook As), made usable for the lecture.

scripts/setup.sh puts this folder on the venv's path and registers what follows with nbconvert, so that every
Jupyter server started from the venv uses it (scripts/lab.sh, the container, the class hub):

- clean_html: nbconvert's sanitizer for the HTML export with "Sanitize HTML output" ticked (the default).
  nbconvert 7.17's own filter (nbconvert.filters.strings.clean_html) calls bleach with bleach's short default
  list of tags plus a few (no h1-h6, p, br, hr, img, th, thead, tbody, caption, sup, sub) and bleach's default
  of escaping every other tag, so every heading and paragraph of a Markdown cell and every table's header and
  caption were printed as tag soup. This one keeps the tags of text and tables and still removes what
  sanitizing is for: scripts, event handlers, styles that load anything, links to javascript: URLs.
- ChromiumPDFExporter, registered as the export format "PDF_handout" (the menu shows a format by its name,
  and nbconvert would match "PDF" to its own "pdf"): the HTML handout printed to PDF by headless
  Chromium (Debian's /usr/bin/chromium, or $CHROMIUM), offline. nbconvert's "pdf" needs a LaTeX install and
  its "webpdf" the playwright Python package with a browser of its own; setup.sh hides both from the menu.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import bleach
from bleach.css_sanitizer import CSSSanitizer
from nbconvert.exporters import HTMLExporter
from traitlets import default

# The repository's scripts/ folder, which holds the handout template.
SCRIPTS = Path(__file__).resolve().parent.parent

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
ATTRIBUTES = {
    "*": ["class", "id", "title", "style", "data-mime-type"],
    "a": ["href", "name"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "ol": ["start"],
}
# Inline styles survive only as these properties (bleach drops the rest, and any url()).
CSS = CSSSanitizer(allowed_css_properties=[
    "color", "background-color", "font-weight", "font-style", "font-family", "font-size", "text-align",
    "vertical-align", "white-space", "padding", "padding-left", "padding-right", "margin", "border",
    "border-bottom", "border-top", "border-collapse", "width", "max-width", "height",
])


def clean_html(element):
    """Sanitizes HTML as nbconvert's clean_html does, keeping the tags of headings, paragraphs and tables.
    Tags outside the list are removed with their markup (their text stays), not printed as text."""
    element = element.decode() if isinstance(element, bytes) else str(element)
    return bleach.clean(element, tags=TAGS, attributes=ATTRIBUTES, protocols={"http", "https", "mailto", "data"},
                        css_sanitizer=CSS, strip=True, strip_comments=True)


def chromium():
    """The Chromium that prints: $CHROMIUM, else chromium on PATH (scripts/setup.sh --browser installs it)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("PDF export needs Chromium, which is not installed: scripts/setup.sh --browser "
                           "installs it (apt-get install chromium)")
    return path


def print_pdf(html, timeout=120):
    """Prints a self-contained HTML page to PDF bytes with headless Chromium, offline."""
    with tempfile.TemporaryDirectory(prefix="golecture-pdf-") as tmp:
        page, pdf = Path(tmp, "page.html"), Path(tmp, "page.pdf")
        page.write_text(html, encoding="utf-8")
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={Path(tmp, 'profile')}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", page.as_uri()]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if run.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"Chromium did not print the PDF (exit {run.returncode}): {tail}")
        return pdf.read_bytes()


class ChromiumPDFExporter(HTMLExporter):
    """The notebook as the project's HTML handout (plots inline, nothing fetched), printed to PDF by Chromium."""

    export_from_notebook = "PDF"
    output_mimetype = "application/pdf"

    def _file_extension_default(self):
        return ".pdf"

    def _template_extension_default(self):
        return ".html.j2"

    def _template_name_default(self):
        return "pdf_template"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(SCRIPTS)]

    @default("extra_template_paths")
    def _extra_template_paths_default(self):
        return [str(SCRIPTS)]  # So that pdf_template can extend handout_template/index.html.j2.

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        resources["output_extension"] = ".pdf"
        return print_pdf(html), resources
