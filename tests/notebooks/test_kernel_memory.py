"""How a GoNB kernel copes with declarations that went wrong (pkg/lecture/kernel.go), through the real kernel.

GoNB reruns every `var` initializer in every later cell. A failing declaration shows its error in its own cell
and, in later cells, one note naming `%rm`; an interrupted fit is not restarted by later cells, only by its own.
"""

import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

IMPORTS = 'import (\n\t"fmt"\n\t"github.com/golecture/regularization/pkg/lecture"\n\t"github.com/golecture/regularization/pkg/mlp"\n)\n\n%%\nfmt.Println("ready")'


@pytest.fixture()
def kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_FIT_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("LECTURE_PROGRESS", "off")
    km, kc = start_new_kernel(kernel_name="gonb")
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        # Not now=True: a killed GoNB leaves its work directory (a ~29 MB cell binary) behind in /tmp.
        km.shutdown_kernel(now=False)


def run(kc, code, timeout=300, during=None):
    """Runs code in the kernel; returns its stream text. during(msg_id) is called once the cell is busy."""
    msg_id = kc.execute(code)
    text, deadline, started = "", time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text += content["text"]
        elif kind in ("display_data", "update_display_data"):
            data = content["data"]
            text += data["text/plain"] if "text/plain" in data else data.get("text/html", "")
        elif kind == "status" and content["execution_state"] == "busy" and not started and during:
            started = True
            during()
        elif kind == "status" and content["execution_state"] == "idle":
            return text
    pytest.fail(f"cell did not finish in {timeout}s: {code!r}; output so far {text!r}")


def test_a_failed_declaration_stays_in_its_cell(kernel):
    _, kc = kernel
    assert "ready" in run(kc, IMPORTS)
    own = run(kc, 'var bad = lecture.Fit(mlp.Stack(-3))\n\n%%\nfmt.Println("declared")')
    assert own.count("error: fit") == 1 and "units must be between" in own, own
    later = run(kc, '%%\nfmt.Println("later", 6*7)')
    assert "later 42" in later
    assert "error:" not in later and later.count("note:") == 1 and "%rm bad" in later, later
    after = run(kc, '%%\nfmt.Println("after", 6*7)')
    assert "after 42" in after and "note:" not in after and "error:" not in after, after
    again = run(kc, 'var bad = lecture.Fit(mlp.Stack(-3))\n\n%%\nfmt.Println("declared")')
    assert again.count("error: fit") == 1, again


def test_an_interrupted_fit_is_not_restarted_by_later_cells(kernel):
    km, kc = kernel
    assert "ready" in run(kc, IMPORTS)
    cell = 'var long = lecture.Fit(mlp.Stack(64, 64).Epochs(1000000))\n\n%%\nfmt.Println("fitted")'
    out = run(kc, cell, during=lambda: (time.sleep(8), km.interrupt_kernel()))
    assert "interrupted at epoch" in out and "%rm long" in out and "fitted" not in out, out
    start = time.monotonic()
    later = run(kc, '%%\nfmt.Println("later", 6*7)', timeout=60)
    assert "later 42" in later and "note:" in later and "%rm long" in later, later
    assert time.monotonic() - start < 30, "the later cell restarted the interrupted fit"


def test_one_mistake_one_line(kernel):
    """A failed fit used three times in its own cell shows one error line; a failed lecture.Initial declaration is
    not repeated by later cells (they say so once, in a note)."""
    _, kc = kernel
    assert "ready" in run(kc, IMPORTS)
    own = run(kc, 'var bad = lecture.Fit(mlp.Stack(-3))\n\n%%\nlecture.PlotFit(bad)\nlecture.Evaluate(bad)\nlecture.Summary(bad)')
    assert own.count("error:") == 1 and "units must be between" in own, own
    huge = run(kc, 'var huge = lecture.Initial(mlp.Stack(1 << 20, 1 << 20))\n\n%%\nfmt.Println("declared")')
    assert huge.count("error:") == 1, huge
    later = run(kc, '%%\nlecture.Summary(huge)\nfmt.Println("later", 6*7)')
    assert "later 42" in later and "error:" not in later and later.count("note:") == 1 and "%rm huge" in later, later


def test_gopls_does_not_outlive_a_dead_kernel(monkeypatch, tmp_path):
    """GoNB can die on shutdown before it stops its gopls (which runs in a process group of its own): the kernel's
    gopls wrapper makes such a gopls exit once it has had no client for a while."""
    import os
    import signal

    monkeypatch.setenv("LECTURE_FIT_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("GOLECTURE_GOPLS_IDLE", "3s")
    km, kc = start_new_kernel(kernel_name="gonb")
    try:
        assert "ready" in run(kc, IMPORTS)
        gonb = km.provisioner.process.pid

        def children():
            out = []
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        stat = open(f"/proc/{entry}/stat", "rb").read()
                        cmd = open(f"/proc/{entry}/cmdline", "rb").read()
                    except OSError:
                        continue
                    if int(stat[stat.rindex(b")") + 2:].split()[1]) == gonb and b"gopls" in cmd:
                        out.append(int(entry))
            return out

        deadline = time.monotonic() + 60
        while not (gopls := children()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert gopls, "the kernel started no gopls"
        assert any(b"-listen.timeout=3s" in open(f"/proc/{p}/cmdline", "rb").read() for p in gopls), \
            "the kernel's gopls was not started through scripts/kernel/gopls"
        os.kill(gonb, signal.SIGKILL)  # As GoNB's shutdown panic does, nothing stops gopls.
        deadline = time.monotonic() + 60
        while any(os.path.exists(f"/proc/{p}") and b"Z" not in open(f"/proc/{p}/stat", "rb").read().split(b") ")[1][:1]
                  for p in gopls) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [p for p in gopls if os.path.exists(f"/proc/{p}")
                and open(f"/proc/{p}/stat", "rb").read().split(b") ")[1][:1] != b"Z"]
        assert not left, f"gopls {left} still runs 60s after its kernel died"
    finally:
        kc.stop_channels()
        try:
            km.shutdown_kernel(now=True)
        except Exception:
            pass


def test_a_read_only_shared_cache_is_noted_once(monkeypatch, tmp_path):
    """A class's shared fit cache, mounted read-only: fits in it load, a new fit goes to the student's private
    directory, and the note saying so appears once, in the first cell that meets it, not in every later cell."""
    import subprocess

    shared, mounted, home = tmp_path / "shared", tmp_path / "mounted", tmp_path / "home"
    for d in (shared, mounted, home):
        d.mkdir()
    monkeypatch.setenv("LECTURE_FIT_CACHE", str(shared))
    monkeypatch.setenv("LECTURE_PROGRESS", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))  # Where the private fallback goes.
    km, kc = start_new_kernel(kernel_name="gonb")  # Fill the shared cache with one fit first.
    try:
        assert "ready" in run(kc, IMPORTS)
        assert "error:" not in run(kc, 'var a = lecture.Fit(mlp.Stack(4).Seed(1).Epochs(5))\n\n%%\nfmt.Println("a")')
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    if subprocess.run(["mount", "--bind", str(shared), str(mounted)], capture_output=True).returncode != 0:
        pytest.skip("a read-only bind mount needs root (mount --bind)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], check=True, capture_output=True)
        monkeypatch.setenv("LECTURE_FIT_CACHE", str(mounted))
        km, kc = start_new_kernel(kernel_name="gonb")
        try:
            outs = [run(kc, IMPORTS),
                    run(kc, 'var a = lecture.Fit(mlp.Stack(4).Seed(1).Epochs(5))\n\n%%\nfmt.Println("a")'),
                    run(kc, 'var b = lecture.Fit(mlp.Stack(5).Seed(1).Epochs(5))\n\n%%\nfmt.Println("b")'),
                    run(kc, '%%\nfmt.Println("later", 6*7)')]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        text = "".join(outs)
        assert "error:" not in text, outs
        assert text.count("note:") == 1 and "read-only" in text, outs
        assert "later 42" in outs[3] and "note:" not in outs[3], outs
        assert list(home.rglob("*.fit")), "the new fit did not go to the private directory"
    finally:
        subprocess.run(["umount", str(mounted)], capture_output=True)
