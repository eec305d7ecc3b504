"""A real ``fetchall`` process for fault tests, and its worker processes as ``/proc`` sees them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

_PROC = Path("/proc")

_COMMAND = """\
import sys
import fetchall.transport.workers as workers
workers.LOST_AFTER_S = float(sys.argv.pop(1))
from fetchall.__main__ import main
main()
"""
"""``fetchall`` with the silence after which a worker is lost set from the first argument:
the tests' one way into it, as it is no option."""


def start(args: Sequence[str], *, lost_after_s: float = 10.0) -> subprocess.Popen[str]:
    """Start ``fetchall args`` (stdin closed, output piped)."""
    return subprocess.Popen(
        [sys.executable, "-c", _COMMAND, str(lost_after_s), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stat_of(pid: int) -> tuple[str, int] | None:
    """The state letter and parent pid of ``pid``, or None when it is gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
    return state, int(ppid)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a scan of /proc: not every kernel has
    ``/proc/<pid>/task/*/children``)."""
    if not _PROC.is_dir():
        pytest.skip("no /proc here: the worker processes cannot be found")
    found = []
    for entry in _PROC.iterdir():
        stat = _stat_of(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None and stat[1] == pid:
            found.append(int(entry.name))
    return sorted(found)


def workers_of(pid: int, count: int, timeout: float = 30.0) -> list[int]:
    """The ``count`` worker processes of fetchall process ``pid``, once all have started."""
    deadline = time.monotonic() + timeout
    while len(found := children_of(pid)) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} workers after {timeout} s"
        time.sleep(0.01)
    return found


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    stat = _stat_of(pid)
    return stat is not None and stat[0] != "Z"


def finish(process: subprocess.Popen[str], timeout: float = 60.0) -> tuple[int, str, str, float]:
    """Wait for ``process``: its exit status, stdout, stderr, and how long it took from now."""
    began = time.monotonic()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # A hung run must not outlive the test either: its workers first, then itself.
        for pid in children_of(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.communicate()
        raise
    return process.returncode, stdout, stderr, time.monotonic() - began
