"""Simulated students of the class hub, over real HTTP through the hub's proxy.

A Student signs up (NativeAuthenticator's form), is approved by the instructor, signs in with the login form,
takes an API token, starts their server and runs notebooks in a real GoNB kernel over the kernel's websocket:
what JupyterLab's *Restart Kernel and Run All Cells* sends, one execute request per code cell in order.

    python scripts/hub_students.py check --hub URL --prefix P      the hub test's assertions (scripts/hub-test.sh)
    python scripts/hub_students.py load --hub URL --prefix P --students 1,2,4,8 --out FILE
                                                                    the capacity measurement (hub-test.sh --load)

Both expect a hub that scripts/hub-test.sh started on this machine's loopback, with the compose project's
container prefix P (the students' containers are P-<name>, their volumes P-<name>-notebooks and P-<name>-home).
Memory and CPU per student are read from the container's cgroup on this machine. Only the standard library and
tornado (JupyterLab's own web framework, in the project's .venv) are used.
"""

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

NOTEBOOK = "01_regularization.ipynb"
# Every simulated person's password: $HUB_STUDENT_PASSWORD, so that the steps of one test share it (NativeAuthenticator
# refuses common passwords, hence a random one by default).
PASSWORD = os.environ.get("HUB_STUDENT_PASSWORD") or "lecture-" + uuid.uuid4().hex[:12]


def log(msg):
    print(f"hub-students: {msg}", flush=True)


class HTTPError(Exception):
    def __init__(self, status, method, url, body):
        super().__init__(f"{method} {url}: {status} {body[:300]}")
        self.status = status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Student:
    """One person in a browser: a cookie jar for the hub's pages, then an API token for the rest."""

    def __init__(self, hub, name, password=PASSWORD):
        self.hub = hub.rstrip("/")
        self.name = name
        self.password = password
        self.jar = http.cookiejar.CookieJar()
        # Redirects are not followed: after signing in, the hub's pages redirect on to /hub/spawn, which would
        # start the server; the test starts servers itself, through the API.
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.token = None

    # ---- plain HTTP -------------------------------------------------------------------------------------------
    def request(self, method, path, body=None, form=None, token=None, headers=None):
        url = self.hub + path
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = f"token {token}"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=120) as res:
                text = res.read().decode()
                return res.status, text
        except urllib.error.HTTPError as err:
            if 300 <= err.code < 400:
                return err.code, ""
            raise HTTPError(err.code, method, url, err.read().decode(errors="replace")) from None

    def api(self, method, path, body=None):
        status, text = self.request(method, path, body=body, token=self.token)
        return json.loads(text) if text.strip() else None

    def xsrf(self):
        for c in self.jar:
            if c.name == "_xsrf":
                return c.value
        raise RuntimeError("the hub set no _xsrf cookie")

    def form(self, path, fields):
        self.request("GET", path)  # sets the _xsrf cookie, as the page load does in a browser
        return self.request("POST", path, form={**fields, "_xsrf": self.xsrf()})

    # ---- the hub: sign up, approval, sign in, server ---------------------------------------------------------
    def sign_up(self):
        _, page = self.form(
            "/hub/signup",
            {"username": self.name, "signup_password": self.password, "signup_password_confirmation": self.password},
        )
        alert = re.search(r'(?s)class="alert (alert-\w+)[^>]*>(.*?)</div>', page)
        if not alert or alert.group(1) == "alert-danger":
            said = " ".join(re.sub(r"<[^>]+>", " ", alert.group(2)).split()) if alert else "nothing"
            raise RuntimeError(f"signing up {self.name} did not succeed; the page said: {said}")

    def approve(self, student):
        """As the instructor: approve a student's sign-up (NativeAuthenticator's /hub/authorize page)."""
        self.request("GET", f"/hub/authorize/{urllib.parse.quote(student)}")

    def sign_in(self):
        self.form("/hub/login", {"username": self.name, "password": self.password})
        if not any(c.name.startswith("jupyterhub-hub-login") for c in self.jar):
            raise RuntimeError(f"{self.name} could not sign in (no hub login cookie)")
        # An API token, as JupyterLab's token page would give: its scopes are the user's own.
        _, text = self.request(
            "POST",
            f"/hub/api/users/{self.name}/tokens",
            body={"note": "hub_students.py", "expires_in": 7200},
            headers={"X-XSRFToken": self.xsrf()},
        )
        self.token = json.loads(text)["token"]

    def start_server(self, timeout=300):
        t = time.monotonic()
        try:
            self.api("POST", f"/hub/api/users/{self.name}/server")
        except HTTPError as err:
            if err.status != 400:  # 400: already running
                raise
        while time.monotonic() - t < timeout:
            server = (self.api("GET", f"/hub/api/users/{self.name}").get("servers") or {}).get("")
            if server and server.get("ready"):
                return time.monotonic() - t
            time.sleep(1)
        raise TimeoutError(f"{self.name}'s server was not ready within {timeout} s")

    def stop_server(self, timeout=120):
        self.api("DELETE", f"/hub/api/users/{self.name}/server")
        t = time.monotonic()
        while time.monotonic() - t < timeout:
            if not self.api("GET", f"/hub/api/users/{self.name}").get("servers"):
                return
            time.sleep(1)
        raise TimeoutError(f"{self.name}'s server did not stop within {timeout} s")

    def running(self):
        return bool(self.api("GET", f"/hub/api/users/{self.name}").get("servers"))

    # ---- the student's own server ----------------------------------------------------------------------------
    def server_api(self, method, path, body=None, owner=None):
        return self.api(method, f"/user/{owner or self.name}{path}", body)

    async def run_cells(self, kernel_id, cells, cell_timeout=900):
        """Runs code cells in order on a kernel; returns the errors (cell index, text), stopping at the first."""
        url = self.hub.replace("http", "ws", 1) + f"/user/{self.name}/api/kernels/{kernel_id}/channels"
        ws = await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {self.token}"}), max_message_size=1 << 30
        )
        session = uuid.uuid4().hex
        errors = []
        try:
            for i, code in enumerate(cells):
                msg_id = uuid.uuid4().hex
                ws.write_message(
                    json.dumps(
                        {
                            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                                       "username": self.name, "version": "5.3", "date": ""},
                            "parent_header": {}, "metadata": {}, "channel": "shell",
                            "content": {"code": code, "silent": False, "store_history": True,
                                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                        }
                    )
                )
                replied = idle = False
                deadline = time.monotonic() + cell_timeout
                while not (replied and idle):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"{self.name}: cell {i} did not finish within {cell_timeout} s")
                    raw = await asyncio.wait_for(ws.read_message(), left)
                    if raw is None:
                        raise RuntimeError(f"{self.name}: the kernel's websocket closed during cell {i}")
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind, content = msg["msg_type"], msg.get("content", {})
                    if kind == "error":
                        errors.append((i, f"{content.get('ename')}: {content.get('evalue')}"))
                    elif kind == "stream" and content.get("name") == "stderr":
                        errors.append((i, "stderr: " + content.get("text", "")[:300]))
                    elif kind == "display_data" and "application/vnd.jupyter.stderr" in json.dumps(content):
                        errors.append((i, "GoNB error output"))
                    elif kind == "execute_reply":
                        replied = True
                        if content.get("status") != "ok" and not errors:
                            errors.append((i, f"execute_reply {content.get('status')}"))
                    elif kind == "status" and content.get("execution_state") == "idle":
                        idle = True
                if errors:
                    break
        finally:
            ws.close()
        return errors

    async def restart_and_run_all(self, notebook=NOTEBOOK):
        """Kernel > Restart Kernel and Run All Cells on the student's own copy of notebook: (seconds, cells, errors)."""
        nb = self.server_api("GET", f"/api/contents/{notebook}?content=1")["content"]
        cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                 for c in nb["cells"] if c["cell_type"] == "code"]
        cells = [c for c in cells if c.strip()]
        session = self.server_api("POST", "/api/sessions",
                                  {"path": notebook, "type": "notebook", "name": notebook, "kernel": {"name": "gonb"}})
        kernel = session["kernel"]["id"]
        t = time.monotonic()
        self.server_api("POST", f"/api/kernels/{kernel}/restart")
        errors = await self.run_cells(kernel, cells)
        return time.monotonic() - t, len(cells), errors, kernel


# ---- the container's cgroup (this machine) --------------------------------------------------------------------
def container_id(name):
    return subprocess.run(["docker", "inspect", "-f", "{{.Id}}", name], check=True, capture_output=True,
                          text=True).stdout.strip()


class Cgroup:
    """Memory peak and CPU time of a container, cgroup v1 (cgroupfs) or v2."""

    def __init__(self, name):
        cid = container_id(name)
        v1 = f"/sys/fs/cgroup/memory/docker/{cid}"
        if os.path.isdir(v1):
            self.mem_peak = v1 + "/memory.max_usage_in_bytes"
            self.cpu = f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage"
            self.cpu_scale = 1e-9
        else:
            for d in (f"/sys/fs/cgroup/system.slice/docker-{cid}.scope", f"/sys/fs/cgroup/docker/{cid}"):
                if os.path.isdir(d):
                    break
            else:
                raise RuntimeError(f"no cgroup found for container {name}")
            self.mem_peak, self.cpu, self.cpu_scale = d + "/memory.peak", d + "/cpu.stat", 1e-6

    def reset_peak(self):
        try:
            with open(self.mem_peak, "w") as f:
                f.write("0")
        except OSError:
            pass  # v2 before Linux 6.12, or not root: the peak then counts from the container's start

    def peak_bytes(self):
        return int(open(self.mem_peak).read().split()[0])

    def cpu_seconds(self):
        text = open(self.cpu).read()
        if self.cpu.endswith("cpu.stat"):
            text = next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec"))
        return int(text) * self.cpu_scale


def docker_exec(container, *cmd):
    return subprocess.run(["docker", "exec", container, *cmd], capture_output=True, text=True)


# ---- the hub test -----------------------------------------------------------------------------------------------
def admin_and_students(hub, names):
    instructor = Student(hub, os.environ.get("HUB_ADMIN", "instructor"))
    instructor.sign_up()
    instructor.sign_in()
    students = [Student(hub, n) for n in names]
    for s in students:
        s.sign_up()
        try:
            s.sign_in()
            raise AssertionError(f"{s.name} could sign in before the instructor approved the sign-up")
        except RuntimeError:
            pass
        instructor.approve(s.name)
        s.sign_in()
    return instructor, students


def check(args):
    prefix = args.prefix
    instructor, (alice, bob) = admin_and_students(args.hub, ["alice", "bob"])
    log("the instructor and two students signed up; the students could sign in only once approved")

    for s in (alice, bob):
        log(f"{s.name}'s server started in {s.start_server():.1f}s")
    uid = docker_exec(f"{prefix}-alice", "id", "-u").stdout.strip()
    assert uid == "1000", f"alice's server runs as UID {uid!r}, not 1000"
    log(f"alice's server runs as UID {uid} (jovyan), not root")

    async def both():
        return await asyncio.gather(*(s.restart_and_run_all() for s in (alice, bob)))

    results = asyncio.run(both())
    for s, (secs, cells, errors, _) in zip((alice, bob), results):
        assert not errors, f"{s.name}'s Run All of {NOTEBOOK} failed: {errors}"
        log(f"{s.name}: Restart Kernel and Run All of {NOTEBOOK}: {cells} code cells in {secs:.1f}s, no error "
            "(both at once, on the shared read-only fit cache)")

    # A student's own work: a saved file and a new fit, which only that student sees.
    alice.server_api("PUT", "/api/contents/alice-notes.md", {"type": "file", "format": "text", "content": "mine\n"})
    names = [f["name"] for f in bob.server_api("GET", "/api/contents")["content"]]
    assert "alice-notes.md" not in names, "bob sees a file alice saved"
    private = "/home/jovyan/.cache/golecture/fits-private"
    before = set(docker_exec(f"{prefix}-alice", "ls", private).stdout.split())
    kernel = alice.server_api("GET", "/api/sessions")[0]["kernel"]["id"]
    new_fit = f"%%\nlecture.Evaluate(lecture.Fit(mlp.Stack(8).Seed({os.getpid() % 100000 + 7}).Epochs(20)))"
    errors = asyncio.run(alice.run_cells(kernel, [new_fit]))
    assert not errors, f"alice's new fit failed: {errors}"
    added = set(docker_exec(f"{prefix}-alice", "ls", private).stdout.split()) - before
    assert any(n.endswith(".fit") for n in added), f"alice's new fit is not in her private fit cache ({added})"
    bob_private = docker_exec(f"{prefix}-bob", "ls", private).stdout.split()
    assert not set(added) & set(bob_private), "alice's new fit shows up in bob's fit cache"
    shared = docker_exec(f"{prefix}-alice", "sh", "-c", "touch /var/cache/golecture/fits/x 2>&1").stdout
    assert "Read-only" in shared, f"the shared fit cache is writable by a student: {shared!r}"
    log(f"alice's saved file and her new fit ({sorted(added)[0]}) are hers only: bob sees neither; "
        "the shared fit cache is read-only")

    # Another student's server and files: 403.
    for path in (f"/user/alice/api/contents/{NOTEBOOK}", f"/user/alice/files/alice-notes.md"):
        try:
            bob.request("GET", path, token=bob.token)
            raise AssertionError(f"bob could read {path}")
        except HTTPError as err:
            assert err.status == 403, f"bob got {err.status} for {path}, expected 403"
    log("bob gets 403 on alice's server API and on her files")

    # A restart keeps a student's work.
    alice.stop_server()
    t = time.monotonic()
    while container_exists(f"{prefix}-alice") and time.monotonic() - t < 30:
        time.sleep(0.5)
    assert not container_exists(f"{prefix}-alice"), "alice's stopped server's container was not removed"
    log(f"alice's server stopped (its container removed); started again in {alice.start_server():.1f}s")
    assert "alice-notes.md" in [f["name"] for f in alice.server_api("GET", "/api/contents")["content"]], \
        "alice's saved file did not survive a server restart"
    kept = set(docker_exec(f"{prefix}-alice", "ls", private).stdout.split())
    assert added <= kept, "alice's new fit did not survive a server restart"
    log("alice's saved file and her new fit survived the restart")

    # The instructor sees both servers (admin).
    users = {u["name"]: u for u in instructor.api("GET", "/hub/api/users")}
    assert users["alice"]["servers"] and users["bob"]["servers"], "the instructor does not see the running servers"
    log("the instructor (admin) lists both students' running servers")
    # For the browser test, which signs alice in through the login page and uses her token for the lab's API.
    fd = os.open(args.state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"alice": {"token": alice.token}}, f)


def container_exists(name):
    return subprocess.run(["docker", "inspect", name], capture_output=True).returncode == 0


def container_state(name):
    out = subprocess.run(["docker", "inspect", "-f", "{{.State.Status}}", name], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def culled(args):
    """After the hub restarted with a short idle timeout: every idle server is stopped by the culler."""
    t = time.monotonic()
    instructor = Student(args.hub, os.environ.get("HUB_ADMIN", "instructor"))
    instructor.sign_in()
    running = [u["name"] for u in instructor.api("GET", "/hub/api/users") if u["servers"]]
    assert set(running) >= {"alice", "bob"}, f"the restarted hub lost the students' running servers ({running})"
    log(f"the restarted hub still runs {', '.join(sorted(running))}'s servers")
    while time.monotonic() - t < args.within:
        running = [u["name"] for u in instructor.api("GET", "/hub/api/users") if u["servers"]]
        if not running:
            log(f"the idle culler stopped every idle server within {time.monotonic() - t:.0f}s of the hub's restart "
                f"(timeout {os.environ.get('HUB_IDLE_TIMEOUT')}s, checked every {os.environ.get('HUB_CULL_EVERY')}s)")
            # The hub forgets a server when its stop is done, but Docker may still be removing the container.
            left = lambda: [n for n in ("alice", "bob") if container_exists(f"{args.prefix}-{n}")]
            u = time.monotonic()
            while left() and time.monotonic() - u < 30:
                time.sleep(0.5)
            assert not left(), "a culled server's container is still there 30s later: " + ", ".join(
                f"{n} ({container_state(f'{args.prefix}-{n}')})" for n in left())
            log(f"the culled servers' containers are removed ({time.monotonic() - u:.1f}s after the hub forgot them)")
            return
        time.sleep(2)
    raise AssertionError(f"servers still running after {args.within}s: {running}")


# ---- the capacity measurement -----------------------------------------------------------------------------------
def load(args):
    counts = [int(n) for n in args.students.split(",")]
    names = [f"student{i:02d}" for i in range(1, max(counts) + 1)]
    _, students = admin_and_students(args.hub, names)
    rows = []
    for n in counts:
        group = students[:n]
        for s in group:  # The servers of the previous, smaller group keep running (idle, they use no CPU).
            if not s.running():
                s.start_server()
        # A first Run All per container warms Go's build cache for that container, as a student's first minutes
        # do; the measured run is the second, the warm one the class sizes on.
        if args.warm:
            asyncio.run(_gather([s.restart_and_run_all() for s in group]))
        cgroups = [Cgroup(f"{args.prefix}-{s.name}") for s in group]
        for c in cgroups:
            c.reset_peak()
        cpu0 = [c.cpu_seconds() for c in cgroups]
        t = time.monotonic()
        results = asyncio.run(_gather([s.restart_and_run_all() for s in group]))
        wall = time.monotonic() - t
        cpu = [c.cpu_seconds() - c0 for c, c0 in zip(cgroups, cpu0)]
        peaks = [c.peak_bytes() / 2**30 for c in cgroups]
        times = [r[0] for r in results]
        errors = sum(len(r[2]) for r in results)
        row = {"students": n, "min_s": min(times), "median_s": statistics.median(times), "max_s": max(times),
               "wall_s": wall, "errors": errors, "peak_gib_max": max(peaks), "peak_gib_median": statistics.median(peaks),
               "cpu_s_median": statistics.median(cpu), "cpu_s_max": max(cpu), "cells": results[0][1]}
        rows.append(row)
        log(json.dumps(row))
        for r in results:
            if r[2]:
                log(f"errors: {r[2]}")
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gib": round(os.sysconf("SC_PAGE_SIZE") *
               os.sysconf("SC_PHYS_PAGES") / 2**30, 1), "date": time.strftime("%Y-%m-%d"),
               "cpu_limit": os.environ.get("HUB_CPU_LIMIT"), "mem_limit": os.environ.get("HUB_MEM_LIMIT")}
    json.dump({"machine": machine, "rows": rows}, open(args.out, "w"), indent=1)
    write_doc(args.doc, machine, rows)


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def write_doc(path, machine, rows):
    """Replaces the table between the markers of the capacity page with the measured rows."""
    table = [
        f"Measured on {machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"no GPU; the students' containers without limits (CPU limit {machine['cpu_limit']}, memory {machine['mem_limit']}).",
        "",
        "| students at once | Run All, min (s) | median (s) | max (s) | errors | peak memory per student (GiB, median / max) "
        "| CPU-seconds per student per Run All (median / max) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        table.append(f"| {r['students']} | {r['min_s']:.1f} | {r['median_s']:.1f} | {r['max_s']:.1f} | {r['errors']} "
                     f"| {r['peak_gib_median']:.2f} / {r['peak_gib_max']:.2f} | {r['cpu_s_median']:.1f} / {r['cpu_s_max']:.1f} |")
    begin, end = "<!-- capacity table: scripts/hub-test.sh --load writes it -->", "<!-- end of capacity table -->"
    text = open(path).read() if os.path.exists(path) else f"# Class capacity\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        sys.exit(f"hub-students: {path} lacks the table markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(path, "w").write(head + begin + "\n" + "\n".join(table) + "\n" + end + tail)


async def _gather(coros):
    return await asyncio.gather(*coros)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("check", "culled", "load"):
        q = sub.add_parser(name)
        q.add_argument("--hub", required=True, help="the hub's URL, e.g. http://127.0.0.1:8000")
        q.add_argument("--prefix", required=True, help="the students' container name prefix")
        if name == "check":
            q.add_argument("--state", required=True, help="file to record the students in")
        if name == "culled":
            q.add_argument("--within", type=float, default=180, help="seconds to wait for the culler")
        if name == "load":
            q.add_argument("--students", default="1,2,4,8", help="comma-separated class sizes, each run at once")
            q.add_argument("--out", required=True, help="JSON file for the measured rows")
            q.add_argument("--doc", required=True, help="markdown page whose capacity table is rewritten")
            q.add_argument("--no-warm", dest="warm", action="store_false",
                           help="measure each container's first Run All (cold Go build cache)")
    args = p.parse_args()
    if not args.hub.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        sys.exit("hub-students: the hub must be on this machine's loopback (http://127.0.0.1:PORT)")
    {"check": check, "culled": culled, "load": load}[args.cmd](args)


if __name__ == "__main__":
    main()
