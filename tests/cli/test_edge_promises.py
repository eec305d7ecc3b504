"""Promises at the edges: odd option values, closed standard streams, a status whose body
misbehaves, logs from worker processes. Each of these once ended in a traceback, a hang or
the wrong kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import assert_clean_stderr, assert_one_line_usage_error, invoke
from support.fault_server import FaultServer


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--timeout", "inf"], ["timeout", "inf"]),
        (["--connect-timeout", "inf"], ["connect_timeout", "inf"]),
        (["--retry-backoff", "nan"], ["retry_backoff", "nan"]),
        (["-H", "X-A: a\rb"], ["control characters"]),
        (["-H", "X(A): v"], ["is not a header"]),
    ],
)
def test_values_click_accepts_but_a_run_cannot_use(
    server: FaultServer, args: list[str], mentions: list[str]
) -> None:
    assert_one_line_usage_error(invoke([*args, server.url("/ok")]), *mentions)
    assert server.total_requests == 0


def test_a_save_folder_that_cannot_be_made(server: FaultServer, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = invoke(["--save", str(tmp_path / "afile" / "sub"), server.url("/ok")])
    assert_one_line_usage_error(result, "--save", "Not a directory")
    assert server.total_requests == 0


def run_closed(fd: int, args: list[str]) -> subprocess.CompletedProcess[str]:
    """The command started with descriptor ``fd`` closed, as a shell's ``<&-`` or ``>&-``."""
    return subprocess.run(
        [sys.executable, "-m", "fetchall", *args],
        stdout=None if fd == 1 else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(fd),
    )


def test_reading_a_closed_standard_input(server: FaultServer) -> None:
    dash = run_closed(0, ["-"])
    assert (dash.returncode, dash.stderr) == (
        2,
        "fetchall: error: cannot read input -: standard input is closed\n",
    )
    none = run_closed(0, [])
    assert none.stderr == "fetchall: error: no INPUT given and standard input is closed\n"


def test_a_closed_standard_output_is_no_crash(server: FaultServer) -> None:
    completed = run_closed(1, [server.url("/ok"), server.url("/status/500")])
    assert completed.returncode == 1
    assert_clean_stderr(completed.stderr)
    assert server.total_requests == 2


def test_a_failed_status_with_a_slow_body_is_http_status_and_not_retried(
    server: FaultServer,
) -> None:
    url = server.url("/trickle?status=404&bytes=50&interval=0.2")
    result = invoke(["--format", "jsonl", "--timeout", "1", "--retries", "2", url])
    row = json.loads(result.stdout)
    assert (row["error"]["kind"], row["status"], row["attempts"]) == ("http_status", 404, 1)
    assert server.total_requests == 1


def test_a_failed_status_with_a_large_body_is_http_status(server: FaultServer) -> None:
    url = server.url("/trickle?status=404&bytes=3000&interval=0")
    row = json.loads(invoke(["--format", "jsonl", "--max-size", "1K", url]).stdout)
    assert (row["error"]["kind"], row["status"]) == ("http_status", 404)


def test_verbose_logs_come_from_worker_processes_too(server: FaultServer) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fetchall", "-q", "-v", "--workers", "2", "--retries", "1",
         "--retry-backoff", "0.01", server.url("/redirect/1"), server.url("/flaky/v?n=1")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "fetchall: redirect 302: " in completed.stderr
    assert "fetchall: retry 1/1 in " in completed.stderr


def test_all_mode_with_invalid_lines_cancels_the_rest_as_siblings(server: FaultServer) -> None:
    result = invoke(["--mode", "all", "--format", "json", "ftp://x/", server.url("/ok")])
    results = json.loads(result.stdout)["results"]
    assert results[1]["error"] == {"kind": "cancelled", "message": "a sibling failed"}
    assert server.total_requests == 0


def test_a_malformed_response_is_one_line(server: FaultServer) -> None:
    row = json.loads(invoke(["--format", "jsonl", server.url("/malformed")]).stdout)
    assert row["error"]["kind"] == "protocol"
    assert "\n" not in row["error"]["message"]


def test_a_reader_that_goes_away_ends_a_quiet_run_at_once(server: FaultServer) -> None:
    """``| true`` on a run that would print nothing for a long time: exit 141 at once, every
    request cancelled, not at the end of a 60 s timeout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fetchall", "-q", "--timeout", "60",
         server.url("/hang?a=1"), server.url("/hang?a=2")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    server.wait_until(lambda s: s.in_flight == 2)
    assert process.stdout is not None
    process.stdout.close()
    assert process.wait(timeout=30) == 141
    server.wait_until(lambda s: s.in_flight == 0 and s.disconnects == 2)
    assert process.stderr is not None
    with process.stderr:
        assert_clean_stderr(process.stderr.read().decode())


def test_a_large_report_through_a_slow_pipe_is_whole(tmp_path: Path) -> None:
    """Watching stdout for a reader that goes away must not make it non-blocking: a report
    larger than the pipe's buffer, read late, arrives whole."""
    listing = tmp_path / "bad.txt"
    listing.write_text("".join(f"ftp://host/{i}\n" for i in range(2000)))
    process = subprocess.Popen(
        [sys.executable, "-m", "fetchall", "--format", "json", str(listing)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    # Reading late fills the pipe first. Correct output never depends on how late.
    time.sleep(1)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert len(stdout) > 256 * 1024
    assert len(json.loads(stdout)["results"]) == 2000


def test_redirect_hops_under_rate_go_before_requests_not_started(server: FaultServer) -> None:
    """--rate paces hops too, and a hop's attempt is already timing: it must not queue behind
    every first request. 20 URLs of one hop each at --rate 20 with --timeout 0.5: a hop queued
    last would start 1 s after its attempt did."""
    urls = [server.url(f"/redirect/1?i={i}") for i in range(20)]
    result = invoke(
        ["--format", "json", "--rate", "20", "--timeout", "0.5", "--limit", "20", *urls]
    )
    summary = json.loads(result.stdout)["summary"]
    assert (summary["ok"], summary["failed"]) == (20, 0), result.stdout
    assert server.total_requests == 40
    times = sorted(entry[0] for entry in server.request_log)
    assert times[-1] - times[0] >= 39 / 20 - 0.1  # still paced: 40 starts, 1/20 s apart
