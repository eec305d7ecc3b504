#!/usr/bin/env python3
"""Benchmark fetchall against curl, xargs + curl, wget2 and aria2c on a local server.

A local nginx on 127.0.0.1 (or, without nginx, an aiohttp server in a subprocess) serves a
200-byte file (`/small`), a 1 MiB file (`/big`) and a 100 ms delayed response (`/delay`). URL
lists with distinct query strings are generated in a temporary folder, then every client runs
on the same list with the same concurrency, in alternating rounds, and a markdown table is
printed per scenario: median wall time, requests/s, peak RSS and the ratio to the best client.

Nothing but 127.0.0.1 is ever contacted. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import math
import os
import platform
import re
import resource
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
SMALL_BYTES = 200
BIG_BYTES = 1 << 20
DELAY_S = 0.1
STATUS_PATH = "/_requests"
ECHO_MODULE = "ngx_http_echo_module.so"
ECHO_MODULE_DIRS = (
    "/usr/lib/nginx/modules",
    "/usr/share/nginx/modules",
    "/usr/lib64/nginx/modules",
    "/usr/local/nginx/modules",
)
GNU_TIME = "/usr/bin/time"
MIB = 1 << 20
STARTUP_RUNS = 10

# --------------------------------------------------------------------------------------------
# Process bookkeeping: everything we start is stopped on exit, Ctrl-C and SIGTERM included.
# --------------------------------------------------------------------------------------------

_LIVE: list[subprocess.Popen[bytes]] = []


def _kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the process group of `proc` (started with its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _stop(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop `proc` and its group: SIGTERM, then SIGKILL after `grace_s`."""
    if proc.poll() is None:
        _kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc, signal.SIGKILL)
            proc.wait(timeout=grace_s)
    else:
        # The leader has gone; make sure no child of it (nginx workers) lingers.
        _kill_group(proc, signal.SIGKILL)
    with contextlib.suppress(ValueError):
        _LIVE.remove(proc)


def _stop_all() -> None:
    for proc in list(reversed(_LIVE)):
        _stop(proc, grace_s=2.0)


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL us if the benchmark dies (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)


def _spawn(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        # The script starts no threads, so preexec_fn is safe here.
        list(argv),
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509
        **kwargs,
    )
    _LIVE.append(proc)
    return proc


def _wait(proc: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Wait for `proc` with a deadline, returning the moment it exits.

    `Popen.wait(timeout=...)` polls with sleeps of up to 50 ms, too coarse for start-up timings:
    wait on a pidfd instead where Linux has them.
    """
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        return proc.wait(timeout=timeout_s)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if not poller.poll(timeout_s * 1000):
            raise subprocess.TimeoutExpired(proc.args, timeout_s)
        return proc.wait()
    finally:
        os.close(pidfd)


def _on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The local server
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One local HTTP server we started."""

    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    has_delay: bool
    counter_path: str
    counter_counts_itself: bool  # nginx's stub_status counts the status requests too

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def requests_served(self) -> int | None:
        """The server's own request count (nginx stub_status or the fallback's counter)."""
        try:
            with urllib.request.urlopen(self.url(self.counter_path), timeout=5) as resp:
                text = resp.read().decode("ascii", "replace")
        except OSError:
            return None
        # stub_status: "server accepts handled requests\n 1 1 7 \n"; fallback: "7".
        match = re.search(r"accepts handled requests\s+\d+\s+\d+\s+(\d+)", text)
        if match:
            return int(match.group(1))
        return int(text.strip()) if text.strip().isdigit() else None


def _wait_ready(server: Server, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(server.url("/small"), timeout=2) as resp:
                return resp.status == 200 and len(resp.read()) == SMALL_BYTES
        except urllib.error.HTTPError:
            return False  # it answers, but wrongly: waiting longer will not help
        except OSError:
            pass
        time.sleep(0.1)
    return False


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def find_echo_module() -> Path | None:
    """Debian's libnginx-mod-http-echo puts the .so in /usr/lib/nginx/modules and a
    `load_module modules/...;` line in /usr/share/nginx/modules-available/mod-http-echo.conf."""
    for directory in ECHO_MODULE_DIRS:
        candidate = Path(directory) / ECHO_MODULE
        if candidate.is_file():
            return candidate
    conf = Path("/usr/share/nginx/modules-available/mod-http-echo.conf")
    if conf.is_file():
        match = re.search(r"load_module\s+(\S+);", conf.read_text())
        if match:
            path = Path(match.group(1))
            if not path.is_absolute():
                path = Path("/usr/share/nginx") / path
            if path.is_file():
                return path.resolve()
    return None


def write_docroot(docroot: Path) -> None:
    """The files nginx serves. Its workers drop root for `nobody`, so every folder on the way
    (mkdtemp makes them 0700) must let them through."""
    docroot.mkdir(parents=True, exist_ok=True)
    (docroot / "small").write_bytes(b"x" * (SMALL_BYTES - 1) + b"\n")
    with (docroot / "big").open("wb") as fh:
        fh.write(b"\0" * BIG_BYTES)
    for path in (docroot.parent.parent, docroot.parent, docroot):
        path.chmod(0o755)
    for name in ("small", "big"):
        (docroot / name).chmod(0o644)


def nginx_config(workdir: Path, port: int, workers: str, echo: Path | None) -> str:
    load = f"load_module {echo};\n" if echo else ""
    delay = (
        f"        location = /delay {{ default_type text/plain; echo_sleep {DELAY_S}; echo ok; }}\n"
        if echo
        else ""
    )
    temp = "\n".join(
        f"    {name}_temp_path {workdir / ('tmp_' + name)};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{load}worker_processes {workers};
worker_rlimit_nofile 65536;
daemon off;
master_process on;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    open_file_cache max=16 inactive=600s;
    open_file_cache_valid 600s;
    default_type application/octet-stream;
{temp}
    server {{
        listen {HOST}:{port} backlog=4096;
        root {workdir / "www"};
        location = /small {{ }}
        location = /big {{ }}
{delay}        location = {STATUS_PATH} {{ stub_status; }}
        location / {{ return 404; }}
    }}
}}
"""


def start_nginx(workdir: Path, workers: str) -> tuple[Server | None, list[str]]:
    notes: list[str] = []
    binary = find_nginx()
    if binary is None:
        notes.append("nginx not installed: using the aiohttp fallback server (see README).")
        return None, notes
    echo = find_echo_module()
    if echo is None:
        notes.append(
            "nginx echo module (libnginx-mod-http-echo) not found: /delay is served by the "
            "aiohttp fallback server instead."
        )
    write_docroot(workdir / "www")
    for _attempt in range(3):
        port = free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(nginx_config(workdir, port, workers, echo))
        errlog = (workdir / "nginx.stderr").open("wb")
        proc = _spawn(
            [binary, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=errlog,
            stderr=errlog,
        )
        errlog.close()
        version = subprocess.run(
            [binary, "-v"], capture_output=True, text=True, check=False
        ).stderr.strip()
        server = Server(
            kind=f"{version.removeprefix('nginx version: ')} (worker_processes {workers})",
            port=port,
            proc=proc,
            has_delay=echo is not None,
            counter_path=STATUS_PATH,
            counter_counts_itself=True,
        )
        if _wait_ready(server):
            return server, notes
        _stop(proc)
        log_text = (workdir / "error.log").read_text(errors="replace")
        if "Address already in use" not in log_text:
            break  # only a lost race for the port is worth another try
    tail = (
        " ".join((workdir / "error.log").read_text(errors="replace").splitlines()[-1:])[:300]
        if (workdir / "error.log").exists()
        else ""
    )
    notes.append(f"nginx failed to start, using the aiohttp fallback server. error.log: {tail!r}")
    return None, notes


FALLBACK_SERVER = r'''
"""Fallback for benchmarks/bench.py when nginx is missing: /small, /big, /delay, /_requests."""
import asyncio
import sys

from aiohttp import web

SMALL = b"x" * 199 + b"\n"
BIG = bytes(1 << 20)
COUNT = 0


@web.middleware
async def count(request, handler):
    global COUNT
    if request.path != "/_requests":
        COUNT += 1
    return await handler(request)


async def small(request):
    return web.Response(body=SMALL, content_type="application/octet-stream")


async def big(request):
    return web.Response(body=BIG, content_type="application/octet-stream")


async def delay(request):
    await asyncio.sleep(float(sys.argv[2]))
    return web.Response(text="ok\n")


async def requests(request):
    return web.Response(text=str(COUNT))


app = web.Application(middlewares=[count])
app.add_routes([web.get("/small", small), web.get("/big", big), web.get("/delay", delay),
                web.get("/_requests", requests)])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None,
            backlog=4096)
'''


def python_with_aiohttp(candidates: Sequence[str]) -> str | None:
    for python in candidates:
        probe = subprocess.run(
            [python, "-c", "import aiohttp"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return python
    return None


def start_fallback(workdir: Path, pythons: Sequence[str]) -> tuple[Server | None, list[str]]:
    python = python_with_aiohttp(pythons)
    if python is None:
        return None, ["no Python with aiohttp found for the fallback server"]
    script = workdir / "fallback_server.py"
    script.write_text(FALLBACK_SERVER)
    for _attempt in range(3):
        port = free_port()
        errlog = (workdir / "fallback.stderr").open("wb")
        proc = _spawn(
            [python, str(script), str(port), str(DELAY_S)],
            stdin=subprocess.DEVNULL,
            stdout=errlog,
            stderr=errlog,
        )
        errlog.close()
        server = Server(
            kind=f"aiohttp fallback server ({python}, 1 process)",
            port=port,
            proc=proc,
            has_delay=True,
            counter_path=STATUS_PATH,
            counter_counts_itself=False,
        )
        if _wait_ready(server):
            return server, []
        _stop(proc)
    return None, ["the aiohttp fallback server failed to start"]


@dataclass
class Servers:
    """Which server serves which path."""

    main: Server
    delay: Server | None
    notes: list[str] = field(default_factory=list)

    def for_path(self, path: str) -> Server | None:
        return self.delay if path == "/delay" else self.main


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    """One URL list, and the files derived from it for the clients that need them."""

    name: str
    path: str  # "/small", "/delay" or "/big"
    count: int
    list_file: Path
    server: Server
    workdir: Path
    _derived: dict[str, Path] = field(default_factory=dict)

    def derived(self, key: str, build: Callable[[Path], None]) -> Path:
        if key not in self._derived:
            target = self.workdir / f"{self.list_file.stem}.{key}"
            build(target)
            self._derived[key] = target
        return self._derived[key]

    def urls(self) -> Iterator[str]:
        with self.list_file.open(encoding="ascii") as fh:
            for line in fh:
                yield line.rstrip("\n")


@dataclass
class Invocation:
    argv: list[str]
    stdout: Path | None = None  # None: /dev/null
    stdin: Path | None = None
    cleanup: Callable[[], None] | None = None
    check: Callable[[], str | None] | None = None  # returns a problem, or None when fine


@dataclass
class Client:
    name: str
    build: Callable[[Workload, int, Path], Invocation]
    note: str = ""
    is_fetchall: bool = False


def write_list(path: Path, url: str, count: int) -> None:
    with path.open("w", encoding="ascii", buffering=1 << 20) as fh:
        for start in range(0, count, 10_000):
            stop = min(count, start + 10_000)
            fh.write("".join(f"{url}?i={i}\n" for i in range(start, stop)))


def count_lines(path: Path) -> int:
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            total += chunk.count(b"\n")
    return total


def fetchall_client(base: list[str], name: str, fmt: str, extra: Sequence[str] = ()) -> Client:
    def build(work: Workload, limit: int, rundir: Path) -> Invocation:
        argv = [*base, str(work.list_file), "--limit", str(limit), *extra]
        if fmt == "jsonl":
            out = rundir / "out.jsonl"
            argv += ["--format", "jsonl", "-q"]

            def check() -> str | None:
                lines = count_lines(out)
                return None if lines == work.count else f"{lines} jsonl lines for {work.count} URLs"

            return Invocation(argv, stdout=out, check=check, cleanup=lambda: out.unlink(True))
        return Invocation(argv)

    return Client(name, build, is_fetchall=True)


def curl_parallel_client(curl: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        def make(target: Path) -> None:
            with target.open("w", encoding="ascii", buffering=1 << 20) as fh:
                for url in work.urls():
                    fh.write(f'url = "{url}"\noutput = "/dev/null"\n')

        cfg = work.derived("curlcfg", make)
        return Invocation([curl, "-s", "--parallel", "--parallel-max", str(limit), "-K", str(cfg)])

    return Client("curl --parallel", build)


def xargs_client(curl: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        return Invocation(
            ["xargs", "-P", str(limit), "-n", "1", curl, "-s", "-o", "/dev/null"],
            stdin=work.list_file,
        )

    return Client("xargs -P N curl", build, note="one curl process per URL")


def wget2_client(wget2: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        return Invocation(
            [
                wget2,
                "-q",
                "-i",
                str(work.list_file),
                "--max-threads",
                str(limit),
                "-O",
                "/dev/null",
                "--tries",
                "1",
                "--no-robots",
            ]
        )

    return Client("wget2", build)


def aria2c_client(aria2c: str) -> Client:
    def build(work: Workload, limit: int, rundir: Path) -> Invocation:
        def make(target: Path) -> None:
            # aria2c cannot write to /dev/null, and same-named concurrent downloads collide:
            # give every URL its own file, 10,000 to a folder; the folder is deleted after.
            with target.open("w", encoding="ascii", buffering=1 << 20) as fh:
                for i, url in enumerate(work.urls()):
                    fh.write(f"{url}\n  out={i // 10_000}/{i}\n")

        inp = work.derived("aria2", make)
        outdir = rundir / "aria2-out"
        return Invocation(
            [
                aria2c,
                "-i",
                str(inp),
                "-j",
                str(limit),
                "-d",
                str(outdir),
                "--no-conf",
                "--quiet=true",
                "--max-tries=1",
                "--allow-overwrite=true",
                "--auto-file-renaming=false",
                "--file-allocation=none",
                "--deferred-input=true",
                "--summary-interval=0",
                "--download-result=hide",
            ],
            cleanup=lambda: shutil.rmtree(outdir, ignore_errors=True),
        )

    return Client("aria2c", build, note="writes each body to a file in a temp dir")


# --------------------------------------------------------------------------------------------
# Running and measuring
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    rss_kb: int | None
    rc: int | str  # exit code, or "timeout" / "killed"
    served: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.problem is None


_TIME_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_TIME_SIG = re.compile(r"Command terminated by signal (\d+)")


def measure(
    inv: Invocation,
    rundir: Path,
    timeout_s: float,
    server: Server | None = None,
    expect: int | None = None,
) -> Run:
    """Run one invocation, timing it and reading its peak RSS."""
    timefile = rundir / "time.txt"
    errfile = rundir / "stderr.txt"
    use_gnu_time = os.access(GNU_TIME, os.X_OK)
    argv = [GNU_TIME, "-v", "-o", str(timefile), *inv.argv] if use_gnu_time else inv.argv
    before_served = server.requests_served() if server else None
    before_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with contextlib.ExitStack() as stack:
        stdout = stack.enter_context((inv.stdout or Path(os.devnull)).open("wb"))
        stdin = stack.enter_context((inv.stdin or Path(os.devnull)).open("rb"))
        stderr = stack.enter_context(errfile.open("wb"))
        start = time.perf_counter()
        proc = _spawn(argv, stdin=stdin, stdout=stdout, stderr=stderr)
        rc: int | str
        try:
            rc = _wait(proc, timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()
            rc = "timeout"
        finally:
            wall = time.perf_counter() - start
            _stop(proc, grace_s=1.0)
    rss: int | None = None
    if use_gnu_time and timefile.exists():
        text = timefile.read_text(errors="replace")
        if match := _TIME_RSS.search(text):
            rss = int(match.group(1))
        if isinstance(rc, int) and (sig := _TIME_SIG.search(text)):
            rc = f"signal {sig.group(1)}"
    elif not use_gnu_time:
        # ru_maxrss of children is the max over every child ever waited for: only a new
        # maximum tells us anything about this run.
        after_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = after_rss if after_rss > before_rss else None
    served = None
    if server and before_served is not None:
        after = server.requests_served()
        if after is not None:
            served = after - before_served - (1 if server.counter_counts_itself else 0)
    problem: str | None = None
    if rc == 0 and inv.check:
        problem = inv.check()
    short = expect is not None and served is not None and served < expect
    if rc == 0 and problem is None and short:
        problem = f"server saw {served} requests for {expect} URLs"
    if rc != 0:
        tail = errfile.read_text(errors="replace").strip().splitlines()[-2:]
        problem = " / ".join(tail)[:200] or None
    if inv.cleanup:
        inv.cleanup()
    return Run(wall, rss, rc, served, problem)


def wrk_ceiling(wrk: str | None, url: str, limit: int, duration_s: int) -> str:
    if wrk is None:
        return "wrk not installed: no server ceiling measured."
    threads = max(1, min(2, limit))
    try:
        proc = subprocess.run(
            [wrk, f"-t{threads}", f"-c{limit}", f"-d{duration_s}s", url],
            capture_output=True,
            text=True,
            timeout=duration_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "wrk timed out."
    match = re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout)
    if not match:
        return f"wrk failed (exit {proc.returncode}): {proc.stderr.strip()[:200]}"
    return (
        f"Server ceiling (`wrk -t{threads} -c{limit} -d{duration_s}s`, keep-alive): "
        f"**{float(match.group(1)):,.0f} req/s**."
    )


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    client: Client
    runs: list[Run] = field(default_factory=list)

    @property
    def good(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def median_wall(self) -> float | None:
        good = self.good
        return statistics.median(r.wall_s for r in good) if good else None

    def peak_rss_mb(self) -> float | None:
        values = [r.rss_kb for r in self.good if r.rss_kb is not None]
        return max(values) / 1024 if values else None


def fmt_num(value: float | None, spec: str, dash: str = "—") -> str:
    return dash if value is None else format(value, spec)


def throughput_table(
    rows: Sequence[Row], count: int, ideal_s: float | None, mib: float | None
) -> str:
    walls = {id(r): r.median_wall() for r in rows}
    best = min((w for w in walls.values() if w), default=None)
    head = ["client", "runs ok", "median wall s", "req/s"]
    if mib is not None:
        head.append("MiB/s")
    if ideal_s is not None:
        head.append(f"overhead over ideal {ideal_s:.1f} s")
    head += ["peak RSS MB", "ratio to best (req/s)", "exit codes", "requests seen by server"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        wall = walls[id(row)]
        rps = count / wall if wall else None
        cells = [
            row.client.name + (f" ({row.client.note})" if row.client.note else ""),
            f"{len(row.good)}/{len(row.runs)}",
            fmt_num(wall, ".3f", "invalid"),
            fmt_num(rps, ",.0f"),
        ]
        if mib is not None:
            cells.append(fmt_num(mib / wall if wall else None, ",.0f"))
        if ideal_s is not None:
            cells.append(fmt_num(wall - ideal_s if wall else None, "+.3f"))
        served = sorted({r.served for r in row.runs if r.served is not None})
        cells += [
            fmt_num(row.peak_rss_mb(), ".1f"),
            fmt_num(best / wall if wall and best else None, ".2f"),
            ",".join(str(r.rc) for r in row.runs),
            ",".join(f"{s:,}" for s in served) or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    problems = [
        f"- {row.client.name}, run {i + 1}: exit {run.rc}: {run.problem or 'failed'}"
        for row in rows
        for i, run in enumerate(row.runs)
        if not run.ok
    ]
    return "\n".join(lines + (["", *problems] if problems else []))


def startup_table(rows: Sequence[Row]) -> str:
    head = ["command", "runs ok", "median ms", "min ms", "peak RSS MB", "exit codes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        good = row.good
        med = statistics.median(r.wall_s for r in good) * 1000 if good else None
        low = min(r.wall_s for r in good) * 1000 if good else None
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{row.client.name}`",
                    f"{len(good)}/{len(row.runs)}",
                    fmt_num(med, ".0f", "invalid"),
                    fmt_num(low, ".0f"),
                    fmt_num(row.peak_rss_mb(), ".1f"),
                    ",".join(sorted({str(r.rc) for r in row.runs})),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass
class Config:
    quick: bool
    limit: int
    rounds: int
    run_timeout: float
    fetchall: list[str]
    fetchall_python: str
    workers_supported: bool
    peers: dict[str, str]  # name -> executable
    wrk: str | None
    xargs_max: int
    clients_filter: set[str] | None
    workdir: Path
    servers: Servers
    sizes: dict[str, int]
    c_sizes: list[int]
    wrk_seconds: int


class Report:
    def __init__(self, out: Path | None) -> None:
        self.parts: list[str] = []
        self.out = out

    def emit(self, text: str = "") -> None:
        try:
            print(text, flush=True)
        except BrokenPipeError:
            # stdout was closed (`| head`): keep going for --out, print nothing more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        self.parts.append(text)
        if self.out:
            self.out.write_text("\n".join(self.parts) + "\n")


def make_workload(cfg: Config, name: str, path: str, count: int) -> Workload | None:
    server = cfg.servers.for_path(path)
    if server is None:
        return None
    list_file = cfg.workdir / f"{name}-{count}.txt"
    if not list_file.exists():
        write_list(list_file, server.url(path), count)
    return Workload(name, path, count, list_file, server, cfg.workdir)


def peer_clients(cfg: Config, count: int) -> tuple[list[Client], list[str]]:
    clients: list[Client] = []
    notes: list[str] = []
    curl = cfg.peers.get("curl")
    if curl:
        clients.append(curl_parallel_client(curl))
        if count <= cfg.xargs_max:
            clients.append(xargs_client(curl))
        else:
            notes.append(
                f"xargs -P N curl skipped above {cfg.xargs_max:,} URLs (one process per URL; "
                "raise with --xargs-max)."
            )
    if "wget2" in cfg.peers:
        clients.append(wget2_client(cfg.peers["wget2"]))
    if "aria2c" in cfg.peers:
        clients.append(aria2c_client(cfg.peers["aria2c"]))
    return clients, notes


def selected(cfg: Config, clients: list[Client]) -> list[Client]:
    if cfg.clients_filter is None:
        return clients
    return [c for c in clients if any(c.name.startswith(prefix) for prefix in cfg.clients_filter)]


def run_rounds(cfg: Config, clients: Sequence[Client], work: Workload, rounds: int) -> list[Row]:
    rows = [Row(c) for c in clients]
    for rnd in range(rounds):
        for row in rows:
            rundir = Path(tempfile.mkdtemp(prefix="run-", dir=cfg.workdir))
            inv = row.client.build(work, cfg.limit, rundir)
            log(f"{work.name} x{work.count:,} round {rnd + 1}/{rounds}: {row.client.name}")
            run = measure(inv, rundir, cfg.run_timeout, work.server, expect=work.count)
            detail = f" ({run.problem})" if run.problem else ""
            log(f"  -> {run.wall_s:.3f} s, exit {run.rc}{detail}")
            row.runs.append(run)
            shutil.rmtree(rundir, ignore_errors=True)
    return rows


def scenario_bulk(
    cfg: Config,
    report: Report,
    title: str,
    work: Workload,
    *,
    clients: list[Client],
    notes: Sequence[str],
    ideal_s: float | None = None,
    mib: float | None = None,
) -> list[Row]:
    report.emit(f"### {title}")
    report.emit()
    report.emit(
        f"{work.count:,} URLs to `{work.path}`, limit {cfg.limit}, {cfg.rounds} alternating "
        f"round(s), medians over valid runs."
    )
    report.emit()
    if not cfg.quick:
        report.emit(wrk_ceiling(cfg.wrk, work.server.url(work.path), cfg.limit, cfg.wrk_seconds))
        report.emit()
    rows = run_rounds(cfg, selected(cfg, clients), work, cfg.rounds)
    report.emit(throughput_table(rows, work.count, ideal_s, mib))
    for note in notes:
        report.emit(f"\n_{note}_")
    report.emit()
    return rows


def fetchall_clients(cfg: Config, formats: Sequence[str], workers: bool = False) -> list[Client]:
    clients: list[Client] = []
    for fmt in formats:
        label = (
            "fetchall --format jsonl -q > file" if fmt == "jsonl" else "fetchall (text) > /dev/null"
        )
        if workers and cfg.workers_supported:
            for w in ("1", "2", "auto"):
                clients.append(
                    fetchall_client(cfg.fetchall, f"{label} --workers {w}", fmt, ["--workers", w])
                )
        else:
            clients.append(fetchall_client(cfg.fetchall, label, fmt))
    return clients


def scenario_a(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "small", "/small", cfg.sizes["a"])
    assert work is not None
    peers, notes = peer_clients(cfg, work.count)
    notes = list(notes)
    if cfg.workers_supported:
        notes.append("`--workers` scaling: 1, 2 and auto (the CPUs this process may use).")
    else:
        notes.append("`fetchall --help` does not list `--workers`: no worker scaling rows.")
    return scenario_bulk(
        cfg,
        report,
        "(a) Throughput: small responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"], workers=True) + peers,
        notes=notes,
    )


def scenario_b(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "delay", "/delay", cfg.sizes["b"])
    if work is None:
        report.emit("### (b) Latency-bound\n\nskipped: no server with a /delay endpoint.\n")
        return []
    ideal = math.ceil(work.count / cfg.limit) * DELAY_S
    peers, notes = peer_clients(cfg, work.count)
    return scenario_bulk(
        cfg,
        report,
        f"(b) Latency-bound: {DELAY_S * 1000:.0f} ms responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"]) + peers,
        notes=[*notes, f"Ideal = ceil(URLs / limit) * {DELAY_S} s = {ideal:.1f} s."],
        ideal_s=ideal,
    )


def scenario_c(cfg: Config, report: Report) -> list[Row]:
    rows: list[Row] = []
    for count in cfg.c_sizes:
        work = make_workload(cfg, "small", "/small", count)
        assert work is not None
        peers, notes = peer_clients(cfg, count)
        rows += scenario_bulk(
            cfg,
            report,
            f"(c) Memory: {count:,} small URLs",
            work,
            clients=fetchall_clients(cfg, ["jsonl", "text"]) + peers,
            notes=notes,
        )
        work.list_file.unlink(missing_ok=True)
        for derived in work._derived.values():
            derived.unlink(missing_ok=True)
    return rows


def scenario_e(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "big", "/big", cfg.sizes["e"])
    assert work is not None
    peers, notes = peer_clients(cfg, work.count)
    return scenario_bulk(
        cfg,
        report,
        "(e) Bulk: 1 MiB responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"]) + peers,
        notes=notes,
        mib=work.count * BIG_BYTES / MIB,
    )


def scenario_d(cfg: Config, report: Report) -> list[Row]:
    server = cfg.servers.main
    url = server.url("/small?i=0")
    runs = 1 if cfg.quick else max(cfg.rounds, STARTUP_RUNS)
    py = cfg.fetchall_python

    def fixed(name: str, argv: list[str], is_fetchall: bool = False) -> Client:
        return Client(name, lambda _w, _l, _d: Invocation(list(argv)), is_fetchall=is_fetchall)

    clients = [
        fixed(shlex.join([*cfg.fetchall, "--version"]), [*cfg.fetchall, "--version"], True),
        fixed(shlex.join([*cfg.fetchall, url]), [*cfg.fetchall, url], True),
        fixed(f"{py} -c 'import aiohttp'", [py, "-c", "import aiohttp"]),
        fixed(f"{py} -c pass", [py, "-c", "pass"]),
    ]
    if "curl" in cfg.peers:
        curl = cfg.peers["curl"]
        clients.append(fixed(f"curl -s -o /dev/null {url}", [curl, "-s", "-o", "/dev/null", url]))
    report.emit("### (d) Start-up")
    report.emit()
    report.emit(f"{runs} alternating run(s) each; one URL is `/small` on the local server.")
    report.emit()
    rows = [Row(c) for c in clients]
    for rnd in range(runs):
        for row in rows:
            rundir = Path(tempfile.mkdtemp(prefix="run-", dir=cfg.workdir))
            inv = row.client.build(None, cfg.limit, rundir)  # type: ignore[arg-type]
            log(f"start-up round {rnd + 1}/{runs}: {row.client.name}")
            row.runs.append(measure(inv, rundir, min(cfg.run_timeout, 120)))
            shutil.rmtree(rundir, ignore_errors=True)
    report.emit(startup_table(rows))
    report.emit()
    return rows


SCENARIOS: dict[str, Callable[[Config, Report], list[Row]]] = {
    "a": scenario_a,
    "b": scenario_b,
    "c": scenario_c,
    "d": scenario_d,
    "e": scenario_e,
}

# --------------------------------------------------------------------------------------------
# Setup and main
# --------------------------------------------------------------------------------------------


def resolve_fetchall(spec: str | None) -> list[str]:
    if spec:
        return shlex.split(spec)
    found = shutil.which("fetchall")
    return [found] if found else [sys.executable, "-m", "fetchall"]


def interpreter_of(cmd: list[str]) -> str:
    """The Python that runs fetchall: `python -m fetchall`'s, or a console script's shebang."""
    if len(cmd) >= 3 and cmd[1] == "-m":
        return cmd[0]
    exe = shutil.which(cmd[0]) or cmd[0]
    with contextlib.suppress(OSError):
        with open(exe, "rb") as fh:
            first = fh.readline(512)
        if first.startswith(b"#!"):
            parts = first[2:].decode(errors="replace").split()
            if parts and "python" in Path(parts[0]).name:
                return parts[0]
            if len(parts) >= 2 and Path(parts[0]).name == "env" and "python" in parts[1]:
                return shutil.which(parts[1]) or parts[1]
    return sys.executable


def tool_version(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def find_peers() -> tuple[dict[str, str], list[str]]:
    peers: dict[str, str] = {}
    notes: list[str] = []
    for name in ("curl", "wget2", "aria2c"):
        path = shutil.which(name)
        if path:
            peers[name] = path
        else:
            notes.append(f"{name} not installed: skipped.")
    if "curl" in peers and not shutil.which("xargs"):
        notes.append("xargs not installed: `xargs -P N curl` skipped.")
    return peers, notes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark fetchall against curl, xargs+curl, wget2 and aria2c on a local "
        "nginx (127.0.0.1 only).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny lists, one round: checks the script still works (not timed)",
    )
    parser.add_argument(
        "--scenario", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e (default: all)"
    )
    parser.add_argument("--limit", type=int, default=100, help="concurrency for every client")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument(
        "--fetchall",
        default=None,
        help="command that runs fetchall (default: `fetchall` on PATH, else `python -m fetchall`)",
    )
    parser.add_argument(
        "--clients",
        default=None,
        help="only clients whose name starts with one of these "
        "(comma-separated, e.g. fetchall,curl)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown here")
    parser.add_argument(
        "--c-sizes",
        default="200000,1000000",
        help="list sizes for scenario (c) (default 200000,1000000)",
    )
    parser.add_argument(
        "--nginx-workers",
        default="1",
        help="nginx worker_processes (default 1: leaves the other CPUs to the client)",
    )
    parser.add_argument(
        "--xargs-max",
        type=int,
        default=20_000,
        help="skip `xargs -P N curl` above this many URLs (default 20000)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=None,
        help="seconds before one client run is killed (default 900; quick 60)",
    )
    parser.add_argument(
        "--no-nginx",
        action="store_true",
        help="use the aiohttp fallback server even if nginx is installed",
    )
    args = parser.parse_args(argv)
    if args.limit < 1 or args.rounds < 1:
        parser.error("--limit and --rounds must be at least 1")
    bad = set(args.scenario.split(",")) - set(SCENARIOS)
    if bad:
        parser.error(f"unknown scenario(s): {','.join(sorted(bad))}")
    return args


def run(args: argparse.Namespace, workdir: Path) -> int:
    report = Report(args.out)
    fetchall = resolve_fetchall(args.fetchall)
    fetchall_python = interpreter_of(fetchall)
    try:
        version = subprocess.run(
            [*fetchall, "--version"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log(f"cannot run `{shlex.join(fetchall)} --version`: {exc} (see --fetchall)")
        return 2
    if version.returncode != 0:
        log(
            f"`{shlex.join(fetchall)} --version` failed (exit {version.returncode}): "
            f"{version.stderr.strip()[-300:]}"
        )
        return 2
    help_text = subprocess.run(
        [*fetchall, "--help"], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    peers, notes = find_peers()

    server: Server | None = None
    if not args.no_nginx:
        server, server_notes = start_nginx(workdir / "nginx", args.nginx_workers)
        notes += server_notes
    delay_server = server if server and server.has_delay else None
    if server is None or delay_server is None:
        (workdir / "fallback").mkdir()
        fallback, fb_notes = start_fallback(workdir / "fallback", [sys.executable, fetchall_python])
        notes += fb_notes
        if fallback is None:
            log("no local server could be started: " + "; ".join(notes))
            return 2
        server = server or fallback
        delay_server = fallback
    servers = Servers(server, delay_server)

    quick = args.quick
    sizes = {"a": 200, "b": 100, "e": 10} if quick else {"a": 20_000, "b": 2_000, "e": 1_000}
    c_sizes = [300, 500] if quick else [int(n) for n in args.c_sizes.split(",") if n]
    cfg = Config(
        quick=quick,
        limit=args.limit,
        rounds=1 if quick else args.rounds,
        run_timeout=args.run_timeout or (60.0 if quick else 900.0),
        fetchall=fetchall,
        fetchall_python=fetchall_python,
        workers_supported="--workers" in help_text,
        peers=peers,
        wrk=None if quick else shutil.which("wrk"),
        xargs_max=args.xargs_max,
        clients_filter=set(args.clients.split(",")) if args.clients else None,
        workdir=workdir,
        servers=servers,
        sizes=sizes,
        c_sizes=c_sizes,
        wrk_seconds=0 if quick else 5,
    )

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "?",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    report.emit("## fetchall benchmark" + (" (--quick: not a measurement)" if quick else ""))
    report.emit()
    report.emit(f"- machine: {os.cpu_count()} CPUs ({cpu}), {platform.platform()}")
    report.emit(
        f"- fetchall: `{shlex.join(fetchall)}` → {version.stdout.strip()} "
        f"(Python {tool_version([fetchall_python, '-V']).removeprefix('Python ')})"
    )
    report.emit(
        f"- server: {server.kind} on {HOST}"
        + ("" if delay_server is server else f"; /delay: {delay_server.kind}")
    )
    for name, path in peers.items():
        report.emit(f"- {name}: {tool_version([path, '--version'])}")
    if cfg.wrk:
        report.emit(f"- wrk: {tool_version([cfg.wrk, '-v'])}")
    rss_source = "GNU time -v" if os.access(GNU_TIME, os.X_OK) else "getrusage"
    report.emit(
        f"- peak RSS from: {rss_source}; it is the largest single process of a client, not "
        "the sum (this matters for xargs + curl and for fetchall --workers)"
    )
    for note in notes:
        report.emit(f"- note: {note}")
    report.emit()

    fetchall_failed = False
    for key in args.scenario.split(","):
        rows = SCENARIOS[key](cfg, report)
        for row in rows:
            if row.client.is_fetchall and any(not r.ok for r in row.runs):
                fetchall_failed = True
    if fetchall_failed:
        log("at least one fetchall run failed (see the tables)")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="fetchall-bench-"))
    try:
        return run(args, workdir)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        _stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
