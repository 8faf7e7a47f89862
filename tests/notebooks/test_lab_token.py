"""scripts/lab.sh keeps its Jupyter token off every command line, where any local user could read it."""

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

START_TIMEOUT = 300  # lab.sh runs scripts/setup.sh first: about a second when it is up to date.
STOP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes() -> dict[int, tuple[int, bytes]]:
    """Every process's parent pid and raw command line, from /proc; processes that vanish are skipped."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: the fields after its closing parenthesis are safe.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        out[int(entry)] = (ppid, cmdline)
    return out


def descendants(root: int, procs: dict[int, tuple[int, bytes]]) -> set[int]:
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, (ppid, _) in procs.items() if ppid in frontier and pid not in found}
        found |= frontier
    return found


def status(url: str, token: str | None = None) -> int:
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def test_lab_token_is_not_on_any_command_line(tmp_path):
    token = "labtest" + secrets.token_hex(16)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/kernels"
    env = dict(
        os.environ,
        LAB_HOST="127.0.0.1",
        LAB_PORT=str(port),
        LAB_TOKEN=token,
        LAB_LOG=str(tmp_path / "lab.log"),  # Not the log of a lab the user may be running.
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    env.pop("JUPYTER_TOKEN", None)
    out = tmp_path / "lab.out"
    with open(out, "wb") as out_file:
        lab = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "lab.sh")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Its own process group: the cleanup below can end all of it.
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert lab.poll() is None, f"lab.sh exited with {lab.returncode}: {out.read_text()}"
            try:
                if status(api, token) == 200:
                    break
            except OSError:
                pass  # Not listening yet.
            assert time.monotonic() < deadline, f"no lab on port {port} after {START_TIMEOUT}s: {out.read_text()}"
            time.sleep(0.5)

        assert f"?token={token}" in out.read_text(), "lab.sh no longer prints the URL with its token"

        procs = processes()
        servers = [
            pid for pid in descendants(lab.pid, procs) if b"jupyter" in procs[pid][1] and b"lab" in procs[pid][1]
        ]
        assert servers, f"no jupyter lab process under lab.sh (pid {lab.pid})"
        leaks = {pid: cmd.replace(b"\0", b" ").decode(errors="replace") for pid, (_, cmd) in procs.items()
                 if token.encode() in cmd}
        assert not leaks, f"the token is on these command lines: {leaks}"

        assert status(api, token) == 200
        assert status(api) == 403
        assert status(api, "wrong" + token) == 403

        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"lab.sh still running {STOP_TIMEOUT}s after SIGTERM")
        deadline = time.monotonic() + STOP_TIMEOUT
        while (alive := [pid for pid in servers if os.path.exists(f"/proc/{pid}")]) and time.monotonic() < deadline:
            time.sleep(0.2)
        # A zombie has an empty command line: only a live server counts.
        alive = [pid for pid in alive if processes().get(pid, (0, b""))[1]]
        assert not alive, f"jupyter server {alive} outlived lab.sh"
        try:
            status(api, token)
            raise AssertionError(f"something still answers on port {port}")
        except OSError:
            pass
    finally:
        try:
            os.killpg(lab.pid, signal.SIGKILL)  # Whatever of the lab is left, after a failure.
        except ProcessLookupError:
            pass
        lab.wait(timeout=STOP_TIMEOUT)
