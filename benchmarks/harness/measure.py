"""One timed run of one client: wall time, peak RSS, exit code, what the server saw."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .clients import Invocation
from .procs import kill_group, spawn, stop, wait_exit
from .servers import Server

GNU_TIME = "/usr/bin/time"

_TIME_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_TIME_SIG = re.compile(r"Command terminated by signal (\d+)")


@dataclass
class Run:
    wall_s: float
    rss_kb: int | None
    rc: int | str  # exit code, or "timeout" / "killed"
    served: int | None
    problem: str | None
    cpu_s: float | None = None
    """User + system CPU of the client's whole process tree (every process it waited for)."""
    server_cpu_s: float | None = None
    """CPU the server used meanwhile (10 ms resolution), so a server-bound run shows."""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.problem is None


def _execute(
    inv: Invocation, argv: list[str], errfile: Path, timeout_s: float
) -> tuple[int | str, float]:
    """Run `argv` with the invocation's stdin and stdout; its exit code and wall time."""
    with contextlib.ExitStack() as stack:
        stdout = stack.enter_context((inv.stdout or Path(os.devnull)).open("wb"))
        stdin = stack.enter_context((inv.stdin or Path(os.devnull)).open("rb"))
        stderr = stack.enter_context(errfile.open("wb"))
        start = time.perf_counter()
        proc = spawn(argv, stdin=stdin, stdout=stdout, stderr=stderr)
        rc: int | str
        try:
            rc = wait_exit(proc, timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.wait()
            rc = "timeout"
        finally:
            wall = time.perf_counter() - start
            stop(proc, grace_s=1.0)
    return rc, wall


def _problem(
    inv: Invocation, rc: int | str, served: int | None, expect: int | None, errfile: Path
) -> str | None:
    """What makes a run invalid, or None: a failed exit, a failed check, a short count."""
    if rc != 0:
        tail = errfile.read_text(errors="replace").strip().splitlines()[-2:]
        return " / ".join(tail)[:200] or None
    problem = inv.check() if inv.check else None
    if problem is None and expect is not None and served is not None and served < expect:
        problem = f"server saw {served} requests for {expect} URLs"
    return problem


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def measure(
    inv: Invocation,
    rundir: Path,
    timeout_s: float,
    server: Server | None = None,
    expect: int | None = None,
) -> Run:
    """Run one invocation, timing it and reading its peak RSS and CPU.

    CPU is the difference in `getrusage(RUSAGE_CHILDREN)` across the run: the client, every
    descendant it waited for (fetchall's workers, xargs's curls) and GNU time itself (about a
    millisecond). Nothing else of ours is reaped meanwhile: the server is reaped only at exit.
    """
    timefile = rundir / "time.txt"
    errfile = rundir / "stderr.txt"
    use_gnu_time = os.access(GNU_TIME, os.X_OK)
    argv = [GNU_TIME, "-v", "-o", str(timefile), *inv.argv] if use_gnu_time else inv.argv
    before_served = server.requests_served() if server else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_server_cpu = server.cpu_s() if server else None
    rc, wall = _execute(inv, argv, errfile, timeout_s)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    server_cpu = _delta(before_server_cpu, server.cpu_s() if server else None)
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
        rss = after.ru_maxrss if after.ru_maxrss > before.ru_maxrss else None
    served = None
    if server and before_served is not None:
        after_served = server.requests_served()
        if after_served is not None:
            served = after_served - before_served - (1 if server.counter_counts_itself else 0)
    problem = _problem(inv, rc, served, expect, errfile)
    if inv.cleanup:
        inv.cleanup()
    return Run(wall, rss, rc, served, problem, cpu, server_cpu)


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
