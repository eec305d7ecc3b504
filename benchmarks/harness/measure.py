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

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.problem is None


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
