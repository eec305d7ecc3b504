"""The scenarios: which clients run on which list, and the table each one prints."""

from __future__ import annotations

import math
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .clients import (
    BARE_POOL_SCRIPT,
    Client,
    Invocation,
    Workload,
    aria2c_client,
    bare_pool_client,
    curl_parallel_client,
    fetchall_client,
    wget2_client,
    write_list,
    xargs_client,
)
from .measure import measure, wrk_ceiling
from .procs import log
from .servers import BIG_BYTES, DELAY_S, Servers
from .tables import Row, projection, startup_table, throughput_table

MIB = 1 << 20
STARTUP_RUNS = 10


@dataclass
class Config:
    quick: bool
    limit: int
    rounds: int
    run_timeout: float
    fetchall: list[str]
    fetchall_python: str
    bare_python: str | None  # fetchall's Python, when it can import aiohttp
    workers_supported: bool
    peers: dict[str, str]  # name -> executable
    wrk: str | None
    xargs_max: int
    clients_filter: set[str] | None
    workdir: Path
    servers: Servers
    sizes: dict[str, int]
    memory_sizes: list[int]
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


def run_scenario(
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
    if line := projection(rows, work.count):
        report.emit(f"\n{line}")
    for note in notes:
        report.emit(f"\n_{note}_")
    report.emit()
    return rows


def bare_pool(cfg: Config) -> list[Client]:
    return [bare_pool_client(cfg.bare_python)] if cfg.bare_python else []


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


def throughput(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "small", "/small", cfg.sizes["throughput"])
    assert work is not None
    peers, notes = peer_clients(cfg, work.count)
    notes = list(notes)
    if cfg.workers_supported:
        notes.append("`--workers` scaling: 1, 2 and auto (the CPUs this process may use).")
    else:
        notes.append("`fetchall --help` does not list `--workers`: no worker scaling rows.")
    return run_scenario(
        cfg,
        report,
        "throughput: small responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"], workers=True) + bare_pool(cfg) + peers,
        notes=notes,
    )


def latency(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "delay", "/delay", cfg.sizes["latency"])
    if work is None:
        report.emit("### latency\n\nskipped: no server with a /delay endpoint.\n")
        return []
    ideal = math.ceil(work.count / cfg.limit) * DELAY_S
    peers, notes = peer_clients(cfg, work.count)
    return run_scenario(
        cfg,
        report,
        f"latency: {DELAY_S * 1000:.0f} ms responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"]) + bare_pool(cfg) + peers,
        notes=[*notes, f"Ideal = ceil(URLs / limit) * {DELAY_S} s = {ideal:.1f} s."],
        ideal_s=ideal,
    )


def memory(cfg: Config, report: Report) -> list[Row]:
    rows: list[Row] = []
    for count in cfg.memory_sizes:
        work = make_workload(cfg, "small", "/small", count)
        assert work is not None
        peers, notes = peer_clients(cfg, count)
        rows += run_scenario(
            cfg,
            report,
            f"memory: {count:,} small URLs",
            work,
            clients=fetchall_clients(cfg, ["jsonl", "text"]) + bare_pool(cfg) + peers,
            notes=notes,
        )
        work.remove_files()
    return rows


def bulk(cfg: Config, report: Report) -> list[Row]:
    work = make_workload(cfg, "big", "/big", cfg.sizes["bulk"])
    assert work is not None
    peers, notes = peer_clients(cfg, work.count)
    return run_scenario(
        cfg,
        report,
        "bulk: 1 MiB responses",
        work,
        clients=fetchall_clients(cfg, ["jsonl"]) + bare_pool(cfg) + peers,
        notes=notes,
        mib=work.count * BIG_BYTES / MIB,
    )


def startup(cfg: Config, report: Report) -> list[Row]:
    server = cfg.servers.main
    url = server.url("/small?i=0")
    runs = 1 if cfg.quick else max(cfg.rounds, STARTUP_RUNS)
    py = cfg.fetchall_python
    clients: list[Client] = []

    def add(argv: list[str], name: str | None = None, must_pass: bool = False) -> None:
        def build(_work: Workload, _limit: int, _rundir: Path) -> Invocation:
            return Invocation(list(argv))

        clients.append(Client(name or shlex.join(argv), build, must_pass=must_pass))

    add([*cfg.fetchall, "--version"], must_pass=True)
    add([*cfg.fetchall, url], must_pass=True)
    if cfg.workers_supported:  # what starting two worker processes costs
        add([*cfg.fetchall, "--workers", "2", url], must_pass=True)
    if cfg.bare_python:
        one = cfg.workdir / "one-url.txt"
        write_list(one, server.url("/small"), 1)
        argv = [cfg.bare_python, str(BARE_POOL_SCRIPT), str(one), "1"]
        add(argv, f"{cfg.bare_python} bare_pool.py <one URL> 1", must_pass=True)
    add([py, "-c", "import aiohttp"], f"{py} -c 'import aiohttp'")
    add([py, "-c", "pass"], f"{py} -c pass")
    if "curl" in cfg.peers:
        add([cfg.peers["curl"], "-s", "-o", "/dev/null", url], f"curl -s -o /dev/null {url}")
    report.emit("### startup")
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
    "throughput": throughput,
    "latency": latency,
    "memory": memory,
    "startup": startup,
    "bulk": bulk,
}
LETTERS = {"a": "throughput", "b": "latency", "c": "memory", "d": "startup", "e": "bulk"}
"""The old names, still accepted by --scenario for one release."""
