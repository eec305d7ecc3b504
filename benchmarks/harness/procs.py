"""Process bookkeeping: everything we start is stopped on exit, Ctrl-C and SIGTERM included."""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
from collections.abc import Sequence

_LIVE: list[subprocess.Popen[bytes]] = []


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the process group of `proc` (started with its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop `proc` and its group: SIGTERM, then SIGKILL after `grace_s`."""
    if proc.poll() is None:
        kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            kill_group(proc, signal.SIGKILL)
            proc.wait(timeout=grace_s)
    else:
        # The leader has gone; make sure no child of it (nginx workers) lingers.
        kill_group(proc, signal.SIGKILL)
    with contextlib.suppress(ValueError):
        _LIVE.remove(proc)


def stop_all() -> None:
    for proc in list(reversed(_LIVE)):
        stop(proc, grace_s=2.0)


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL us if the benchmark dies (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)


def spawn(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session (so its whole group can be stopped), tracked for exit."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        # The script starts no threads, so preexec_fn is safe here.
        list(argv),
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509
        **kwargs,
    )
    _LIVE.append(proc)
    return proc


def wait_exit(proc: subprocess.Popen[bytes], timeout_s: float) -> int:
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


def on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def group_cpu_s(pgid: int) -> float | None:
    """User + system CPU seconds so far of the live processes in group `pgid` (Linux /proc).

    For a server we started (its own session, so its pid is the group id): nginx's master and
    workers, or the fallback's one process. None where /proc is missing.
    """
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rpartition(b")")[2].split()
        # After "pid (comm)": state ppid pgrp ... utime is the 14th field, stime the 15th.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick
