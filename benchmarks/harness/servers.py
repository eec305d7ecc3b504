"""The local server: nginx as a child process, or the aiohttp fallback (``fallback_server.py``)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .procs import group_cpu_s, spawn, stop

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
FALLBACK_SCRIPT = Path(__file__).with_name("fallback_server.py")


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

    def cpu_s(self) -> float | None:
        """CPU seconds the server's processes have used so far (10 ms resolution)."""
        return group_cpu_s(self.proc.pid)


@dataclass
class Servers:
    """Which server serves which path."""

    main: Server
    delay: Server | None
    notes: list[str] = field(default_factory=list)

    def for_path(self, path: str) -> Server | None:
        return self.delay if path == "/delay" else self.main


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
        proc = spawn(
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
        stop(proc)
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


def python_with(module: str, candidates: Sequence[str]) -> str | None:
    """The first of `candidates` that can import `module`."""
    for python in candidates:
        probe = subprocess.run(
            [python, "-c", f"import {module}"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return python
    return None


def start_fallback(workdir: Path, pythons: Sequence[str]) -> tuple[Server | None, list[str]]:
    python = python_with("aiohttp", pythons)
    if python is None:
        return None, ["no Python with aiohttp found for the fallback server"]
    loop = "uvloop" if python_with("uvloop", [python]) else "asyncio"
    for _attempt in range(3):
        port = free_port()
        errlog = (workdir / "fallback.stderr").open("wb")
        proc = spawn(
            [python, str(FALLBACK_SCRIPT), str(port), str(DELAY_S)],
            stdin=subprocess.DEVNULL,
            stdout=errlog,
            stderr=errlog,
        )
        errlog.close()
        server = Server(
            kind=f"aiohttp fallback server ({python}, {loop}, 1 process)",
            port=port,
            proc=proc,
            has_delay=True,
            counter_path=STATUS_PATH,
            counter_counts_itself=False,
        )
        if _wait_ready(server):
            return server, []
        stop(proc)
    return None, ["the aiohttp fallback server failed to start"]
