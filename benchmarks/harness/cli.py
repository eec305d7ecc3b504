"""Arguments, setup (fetchall, peers, servers), the report's header, and the exit status."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .measure import GNU_TIME
from .procs import log, on_sigterm, stop_all
from .scenarios import LETTERS, SCENARIOS, Config, Report
from .servers import HOST, Server, Servers, python_with, start_fallback, start_nginx


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
        "--scenario",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all; the old letters "
        "a-e still work for one release)",
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
        "--memory-sizes",
        "--c-sizes",
        dest="memory_sizes",
        default="200000,1000000",
        help="list sizes for the memory scenario (default 200000,1000000; --c-sizes is its old "
        "name)",
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
    args.scenarios = scenario_names(parser, args.scenario)
    return args


def scenario_names(parser: argparse.ArgumentParser, spec: str) -> list[str]:
    """The scenarios named in `spec`, in its order; a letter stands for its new name."""
    names: list[str] = []
    for word in filter(None, (w.strip() for w in spec.split(","))):
        name = LETTERS.get(word, word)
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {word!r}: choose from {', '.join(SCENARIOS)}")
        if name != word:
            log(f"scenario {word!r} is now called {name!r}; the letters go in the next release")
        if name not in names:
            names.append(name)
    return names


def start_servers(
    args: argparse.Namespace, workdir: Path, fetchall_python: str, notes: list[str]
) -> Servers | None:
    """nginx when installed (unless --no-nginx), else (or for /delay) the aiohttp fallback."""
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
            return None
        server = server or fallback
        delay_server = fallback
    return Servers(server, delay_server)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return platform.processor()
    lines = cpuinfo.read_text().splitlines()
    models = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return next(models, platform.processor() or "?")


def emit_header(report: Report, cfg: Config, version: str, notes: Sequence[str]) -> None:
    servers = cfg.servers
    report.emit("## fetchall benchmark" + (" (--quick: not a measurement)" if cfg.quick else ""))
    report.emit()
    report.emit(f"- machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.platform()}")
    python_version = tool_version([cfg.fetchall_python, "-V"]).removeprefix("Python ")
    report.emit(f"- fetchall: `{shlex.join(cfg.fetchall)}` → {version} (Python {python_version})")
    delay = servers.delay
    report.emit(
        f"- server: {servers.main.kind} on {HOST}"
        + ("" if delay is None or delay is servers.main else f"; /delay: {delay.kind}")
    )
    for name, path in cfg.peers.items():
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
    bare_python = python_with("aiohttp", [fetchall_python])
    if bare_python is None:
        notes.append(f"{fetchall_python} cannot import aiohttp: no bare aiohttp pool rows.")
    servers = start_servers(args, workdir, fetchall_python, notes)
    if servers is None:
        return 2

    quick = args.quick
    sizes = (
        {"throughput": 200, "latency": 100, "bulk": 10}
        if quick
        else {"throughput": 20_000, "latency": 2_000, "bulk": 1_000}
    )
    cfg = Config(
        quick=quick,
        limit=args.limit,
        rounds=1 if quick else args.rounds,
        run_timeout=args.run_timeout or (60.0 if quick else 900.0),
        fetchall=fetchall,
        fetchall_python=fetchall_python,
        bare_python=bare_python,
        workers_supported="--workers" in help_text,
        peers=peers,
        wrk=None if quick else shutil.which("wrk"),
        xargs_max=args.xargs_max,
        clients_filter=set(args.clients.split(",")) if args.clients else None,
        workdir=workdir,
        servers=servers,
        sizes=sizes,
        memory_sizes=[300, 500] if quick else [int(n) for n in args.memory_sizes.split(",") if n],
        wrk_seconds=0 if quick else 5,
    )
    emit_header(report, cfg, version.stdout.strip(), notes)

    failed = False
    for name in args.scenarios:
        rows = SCENARIOS[name](cfg, report)
        for row in rows:
            if row.client.must_pass and any(not r.ok for r in row.runs):
                failed = True
    if failed:
        log("at least one fetchall or bare-pool run failed (see the tables)")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="fetchall-bench-"))
    try:
        return run(args, workdir)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
