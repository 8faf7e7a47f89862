"""The lab's own exports (File > Save and Export Notebook As), through a real Jupyter server started from the venv
as scripts/setup.sh leaves it (its lab-exports step): the sanitized HTML export reads as text, "PDF_handout"
downloads a PDF printed by Chromium, and the formats that cannot run here are not offered. The browser test
(tests/browser/lab.spec.mjs) clicks the same menu items."""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "labexport"))
import golecture_labexport  # noqa: E402

NOTEBOOK = "01_regularization.ipynb"
# A tag printed as text, the way nbconvert's own sanitizer prints headings, paragraphs and table headers.
ESCAPED_TAG = re.compile(r"&lt;/?(h[1-6]|p|th|thead|tbody|caption|br|hr|img)\b")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port, token = free_port(), secrets.token_hex(16)
    cmd = (f'source "{REPO}/scripts/env.sh" && exec jupyter server --no-browser --allow-root --ServerApp.ip=127.0.0.1 '
           f'--ServerApp.port={port} --ServerApp.port_retries=0 --ServerApp.root_dir="{REPO}/notebooks"')
    log = open(REPO / "artifacts" / "lab-exports-server.log", "w") if (REPO / "artifacts").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(["bash", "-c", cmd], env={**os.environ, "JUPYTER_TOKEN": token},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get(base, token, "/api/status")
                break
            except OSError:
                assert proc.poll() is None, "jupyter server exited: see artifacts/lab-exports-server.log"
                assert time.monotonic() < deadline, "jupyter server did not answer in 120 s"
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def get(base, token, path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.headers.get("Content-Type", ""), resp.read()


def test_the_menu_offers_only_formats_that_work(server):
    formats = json.loads(get(*server, "/api/nbconvert")[1])
    assert "PDF_handout" in formats and "html" in formats
    for broken in ("pdf", "webpdf", "qtpdf", "qtpng"):  # LaTeX, playwright, Qt: none installed.
        assert broken not in formats, f"the menu would offer {broken!r}, which fails with a server error"


def test_sanitized_html_export_reads_as_text(server):
    _, body = get(*server, f"/nbconvert/html/{NOTEBOOK}?sanitize_html=true")
    html = body.decode()
    assert ESCAPED_TAG.search(html) is None, f"escaped tags: {ESCAPED_TAG.search(html).group(0)!r}"
    assert '<h2 id="0.4-Dropout">0.4 Dropout' in html, "a section heading is a heading"
    assert re.search(r"<p>We fit multilayer perceptrons", html), "a paragraph is a paragraph"


def test_sanitizing_still_removes_scripts_and_handlers():
    dirty = ('<h2 id="x">Title</h2><p onclick="steal()">text<script>steal()</script></p>'
             '<a href="javascript:steal()">link</a><table><caption>c</caption><tr><th>h</th></tr></table>')
    clean = golecture_labexport.clean_html(dirty)
    assert "<script" not in clean and "onclick" not in clean and "javascript:" not in clean
    assert '<h2 id="x">Title</h2>' in clean and "<caption>c</caption>" in clean and "<th>h</th>" in clean


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (scripts/setup.sh --browser)")
def test_pdf_handout_export_downloads_a_pdf(server):
    kind, body = get(*server, f"/nbconvert/PDF_handout/{NOTEBOOK}?download=true")
    assert kind.startswith("application/pdf")
    assert body.startswith(b"%PDF-") and len(body) > 50_000, f"{len(body)} bytes"
    assert body.count(b"/Type /Page") - body.count(b"/Type /Pages") >= 5, "a notebook prints to several pages"
