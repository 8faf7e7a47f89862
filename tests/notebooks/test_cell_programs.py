"""GoNB's reuse of cell programs across kernel restarts (third_party/gonb/PATCH.md), through the real kernel.

After a restart, a cell whose code is unchanged gets the program the previous kernel linked for it, and Go's
own build-ID check decides whether that program is still current: a changed dependency is linked again and
its new code runs. GONB_CELL_TIMINGS tells whether each cell linked.
"""

import json
import os
import shutil
import textwrap
import time

import pytest
from jupyter_client.manager import start_new_kernel

from test_kernel_memory import run

CELL = 'import "example.com/dep"\n\n%%\nfmt.Println("dep says", dep.Word())'


def write_dep(root, word):
    (root / "go.mod").write_text("module example.com/dep\n\ngo 1.24\n")
    (root / "dep.go").write_text(textwrap.dedent(f"""\
        package dep

        // Word is what the test's cell prints.
        func Word() string {{ return "{word}" }}
        """))


def last(timings):
    """The last cell's GONB_CELL_TIMINGS line."""
    return json.loads(timings.read_text().splitlines()[-1])


def linked(timings):
    """Whether the last cell's `go build` linked its program."""
    return last(timings).get("linked", False)


def skipped(timings):
    """Whether the last cell ran its kept program without running the go command."""
    return last(timings).get("build_skipped", False)


def settle():
    """Waits out GoNB's settle time: a build from files changed less than 2 s before it is not stamped."""
    time.sleep(2.5)


def session(env, cells):
    """Starts a kernel with env, runs cells, and stops it; returns their outputs."""
    km, kc = start_new_kernel(kernel_name="gonb", env=env)
    try:
        return [run(kc, c, timeout=180) for c in cells]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


@pytest.fixture()
def env(tmp_path, monkeypatch):

    dep = tmp_path / "dep"
    dep.mkdir()
    write_dep(dep, "one")
    e = dict(os.environ, GONB_CELL_DIR=str(tmp_path / "cells"), GONB_CELL_TIMINGS=str(tmp_path / "timings.jsonl"))
    return e, dep, tmp_path / "timings.jsonl"


def test_a_restarted_kernel_reuses_programs_and_relinks_a_changed_dependency(env):
    e, dep, timings = env
    use = f"!*go work use {dep}"
    first = session(e, [use, CELL])
    assert "dep says one" in first[1], first
    assert linked(timings), "the first build of a cell must link"

    again = session(e, [use, CELL])
    assert "dep says one" in again[1], again
    assert not linked(timings), "after a restart the same cell should reuse its program"

    write_dep(dep, "two")
    changed = session(e, [use, CELL])
    assert "dep says two" in changed[1], f"a stale program ran after its dependency changed: {changed}"
    assert linked(timings)


def test_an_unchanged_cell_skips_the_go_command_and_any_change_runs_it(env):
    e, dep, timings = env
    settle()
    use = f"!*go work use {dep}"
    first = session(e, [use, CELL])
    assert "dep says one" in first[1], first
    assert linked(timings) and not skipped(timings)

    again = session(e, [use, CELL])
    assert "dep says one" in again[1], again
    assert skipped(timings), "after a restart, with nothing changed, the cell should not run the go command"

    # The same contents copied over it (another inode and times, as a new container's file system shows):
    # GoNB hashes the file again and still skips the go command.
    shutil.copy2(dep / "dep.go", dep / "dep.go.new")
    os.replace(dep / "dep.go.new", dep / "dep.go")
    copied = session(e, [use, CELL])
    assert "dep says one" in copied[1], copied
    assert skipped(timings), f"the same contents under another inode should not run the go command: {last(timings)}"

    # Same size and modification time, other contents: a stale program must not run.
    mtime = (dep / "dep.go").stat().st_mtime_ns
    write_dep(dep, "two")
    os.utime(dep / "dep.go", ns=(mtime, mtime))
    settle()
    changed = session(e, [use, CELL])
    assert "dep says two" in changed[1], f"a stale program ran after its dependency changed: {changed}"
    assert not skipped(timings) and linked(timings)

    # A file added to the dependency's package: the go command decides.
    (dep / "extra.go").write_text("package dep\n\n// Extra is new.\nfunc Extra() string { return \"x\" }\n")
    settle()
    added = session(e, [use, CELL])
    assert "dep says two" in added[1], added
    assert not skipped(timings), "a file added to a dependency must run the go command"

    # Another build environment: the go command decides.
    tags = session(dict(e, GOAMD64="v2"), [use, CELL])
    assert "dep says two" in tags[1], tags
    assert not skipped(timings), "another GOAMD64 must run the go command"

    same = session(dict(e, GOAMD64="v2"), [use, CELL])
    assert "dep says two" in same[1] and skipped(timings), same


def test_two_kernels_at_once_get_their_own_slots(env):
    e, _, _ = env
    km1, kc1 = start_new_kernel(kernel_name="gonb", env=e)
    km2, kc2 = start_new_kernel(kernel_name="gonb", env=e)
    try:
        dirs = {run(kc, '%%\nfmt.Println(os.Getenv("GONB_TMP_DIR"))').strip() for kc in (kc1, kc2)}
        assert len(dirs) == 2, dirs
    finally:
        for km, kc in ((km1, kc1), (km2, kc2)):
            kc.stop_channels()
            km.shutdown_kernel(now=False)


def test_a_root_others_can_write_is_refused(env, tmp_path):
    e, _, _ = env
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    out = session(dict(e, GONB_CELL_DIR=str(shared)), ['%%\nfmt.Println("dir", os.Getenv("GONB_TMP_DIR"))'])[0]
    assert "dir " in out and str(shared) not in out, f"the kernel worked in a directory others can write: {out}"
