"""--deadline counts from the start of the run, the wait for input included.

Each test runs the real command with an input that never sends anything (a pipe whose write end
the test keeps open, or a FIFO no one opens for writing): the run must end by its deadline,
well within a generous bound, and exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.cli import assert_clean_stderr, spawn
from support.fault_server import FaultServer

BOUND = 20.0
"""Seconds within which a one-second deadline must have ended the run: generous on purpose."""


@contextmanager
def silent_stdin() -> Iterator[int]:
    """The read end of a pipe whose write end stays open, unwritten, until the block ends."""
    read_end, write_end = os.pipe()
    try:
        yield read_end
    finally:
        os.close(read_end)
        os.close(write_end)


def run_to_its_end(args: Sequence[str], stdin: int) -> tuple[int, dict[str, Any]]:
    """Run the command with ``--format json``; its exit status and its report, once it ended
    on its own within :data:`BOUND` seconds."""
    process = spawn(["--format", "json", *args], stdin=stdin)
    try:
        status = process.wait(timeout=BOUND)
    finally:
        if process.poll() is None:
            process.kill()
    stdout, stderr = process.communicate(timeout=BOUND)
    assert_clean_stderr(stderr)
    return status, json.loads(stdout)


def counts(report: dict[str, Any]) -> tuple[int, int, int]:
    summary = report["summary"]
    return summary["ok"], summary["failed"], summary["cancelled"]


class TestDeadlineWhileWaitingForInput:
    def test_stdin_that_never_sends_a_line(self) -> None:
        """`--deadline 1 -`, stdin open and silent: exit 1 once the second is over."""
        with silent_stdin() as stdin:
            status, report = run_to_its_end(["--deadline", "1", "-"], stdin)
        assert status == 1
        assert counts(report) == (0, 0, 0)
        assert 1.0 <= report["summary"]["elapsed_s"] < BOUND

    def test_a_fifo_no_one_writes_to(self, tmp_path: Path) -> None:
        """A FIFO that no writer ever opens: the deadline still ends the run, exit 1."""
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        status, report = run_to_its_end(["--deadline", "1", str(fifo)], subprocess.DEVNULL)
        assert status == 1
        assert counts(report) == (0, 0, 0)
        assert 1.0 <= report["summary"]["elapsed_s"] < BOUND

    def test_an_argument_still_running_fails_by_the_deadline(self, server: FaultServer) -> None:
        """An argument URL that hangs, then a silent stdin: that job is the one `deadline`
        failure, and the server sees its connection go."""
        with silent_stdin() as stdin:
            status, report = run_to_its_end(["--deadline", "1", server.url("/hang"), "-"], stdin)
        assert status == 1
        assert counts(report) == (0, 1, 0)
        assert [r["error"]["kind"] for r in report["results"]] == ["deadline"]
        server.wait_until(lambda s: s.disconnects == 1 and s.in_flight == 0)

    def test_a_deadline_that_runs_out_fails_the_run_even_after_successes(
        self, server: FaultServer
    ) -> None:
        """The argument URL succeeds; the deadline then runs out while stdin is silent: the
        success is reported, and the run exits 1 all the same."""
        with silent_stdin() as stdin:
            # Time enough for the start-up and the one request on a loaded machine (1 s was
            # not, once, under coverage with both CPUs busy); the stdin wait outlasts any.
            status, report = run_to_its_end(["--deadline", "4", server.url("/ok"), "-"], stdin)
        assert status == 1
        assert counts(report) == (1, 0, 0)
        assert server.total_requests == 1

    def test_a_line_written_after_the_deadline_is_never_read(self, server: FaultServer) -> None:
        """stdin sends its line only once the run has ended by its deadline: no request is
        made, nothing is reported, exit 1."""
        read_end, write_end = os.pipe()
        try:
            status, report = run_to_its_end(["--deadline", "1", "-"], read_end)
            os.write(write_end, (server.url("/ok") + "\n").encode())
        finally:
            os.close(read_end)
            os.close(write_end)
        assert status == 1
        assert counts(report) == (0, 0, 0)
        assert server.total_requests == 0
