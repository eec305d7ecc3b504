"""``--workers``: several fetching processes keep every promise of one."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.fault_server import FaultServer

import fetchall
from fetchall import ErrorKind, FetchError, Job, Options, Result
from fetchall.cli.settings import AUTO_MIN_BYTES, auto_workers
from fetchall.models import result_for
from fetchall.transport.retrying import delay_before_next_try, is_retryable


def comparable(report: fetchall.Report) -> list[dict[str, Any]]:
    """Results without their timing, which no two runs share."""
    rows = [r.to_dict() for r in report.results]
    for row in rows:
        del row["elapsed_ms"]
    return rows


def release_when(server: FaultServer, gate: str, condition: Any) -> threading.Thread:
    def wait_then_release() -> None:
        server.wait_until(condition)
        server.release(gate)

    thread = threading.Thread(target=wait_then_release, daemon=True)
    thread.start()
    return thread


class TestSameResults:
    def test_results_match_one_worker(self, server: FaultServer, tmp_path: Path) -> None:
        """The same input gives the same results, order and saved paths with 1 or 3 workers."""
        urls = [
            server.url("/ok"),
            server.url("/status/404"),
            "ftp://example.invalid/",
            server.url("/redirect/2"),
            FaultServer.refused_url(),
            server.url("/ok"),
            server.url("/bytes/3000"),
        ]
        one = asyncio.run(fetchall.fetch_all(urls, save_dir=tmp_path / "one"))
        three = asyncio.run(fetchall.fetch_all(urls, save_dir=tmp_path / "three", workers=3))
        assert [str(r.saved_to).replace("three", "one") for r in three.results] == [
            str(r.saved_to) for r in one.results
        ]
        strip = [{k: v for k, v in row.items() if k != "saved_to"} for row in comparable(one)]
        assert [{k: v for k, v in row.items() if k != "saved_to"} for row in comparable(three)] == (
            strip
        )
        assert (three.summary.ok, three.summary.failed) == (4, 3)

    def test_cli_exit_status_and_auto(self, server: FaultServer) -> None:
        """--workers auto runs; --workers 0 and nonsense are usage errors."""
        ok = invoke([server.url("/ok"), "--workers", "auto"])
        assert ok.exit_code == 0
        for bad in ("0", "-1", "many"):
            result = invoke([server.url("/ok"), "--workers", bad])
            assert result.exit_code == 2
            assert result.stderr.count("\n") == 1


class TestProcesses:
    def test_this_process_fetches_a_share_beside_n_minus_1_workers(
        self, server: FaultServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--workers 3 starts two processes, and three fetch at once: limit 6 is three shares
        of 2 (each fetcher's connection pool holds its share), and the server sees 6."""
        started: list[tuple[Any, ...]] = []
        create = asyncio.create_subprocess_exec

        async def counting(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
            started.append(args)
            return await create(*args, **kwargs)

        monkeypatch.setattr(asyncio, "create_subprocess_exec", counting)
        urls = [server.url("/gate/wp") for _ in range(12)]
        helper = release_when(server, "wp", lambda s: s.in_flight == 6)
        report = asyncio.run(fetchall.fetch_all(urls, limit=6, workers=3))
        helper.join(5)
        assert report.summary.ok == 12
        assert server.max_in_flight == 6
        assert len(started) == 2


class TestBoundsAcrossWorkers:
    def test_limit_holds_across_workers(self, server: FaultServer) -> None:
        """--limit 5 over 2 workers: the server sees 5 at once, never 6."""
        urls = [server.url("/gate/wl") for _ in range(20)]
        helper = release_when(server, "wl", lambda s: s.in_flight == 5)
        report = asyncio.run(fetchall.fetch_all(urls, limit=5, workers=2))
        helper.join(5)
        assert report.summary.ok == 20
        assert server.max_in_flight == 5

    def test_per_host_holds_across_workers(self, server: FaultServer) -> None:
        """--per-host 2 over 2 workers: each host sees at most 2 at once."""
        urls = [server.url("/gate/wh"), server.url_localhost("/gate/wh")] * 5
        helper = release_when(server, "wh", lambda s: s.in_flight == 4)
        report = asyncio.run(fetchall.fetch_all(urls, limit=10, per_host=2, workers=2))
        helper.join(5)
        assert report.summary.ok == 10
        assert server.max_in_flight_by_host == {"127.0.0.1": 2, "localhost": 2}

    def test_rate_holds_across_workers(self, server: FaultServer) -> None:
        """--rate 10 over 3 workers: the server sees requests spread 100 ms apart."""
        urls = [server.url(f"/ok?i={i}") for i in range(9)]
        report = asyncio.run(fetchall.fetch_all(urls, limit=9, rate=10, workers=3))
        assert report.summary.ok == 9
        times = sorted(entry[0] for entry in server.request_log)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # Arrival times carry the scheduling jitter of four processes on a loaded machine, so
        # the test reads the spread, not each gap. Workers pacing on their own (the bug) would
        # start three requests per 100 ms: a span near 0.2 s and a median gap near 0.
        assert times[-1] - times[0] >= 0.6
        assert statistics.median(gaps) >= 0.06


class TestCancellationAcrossWorkers:
    def test_all_mode_cancels_in_every_worker(self, server: FaultServer) -> None:
        """A failure in one worker closes the hanging requests of the others at once."""
        urls = [server.url("/hang") for _ in range(4)] + [server.url("/gate/wf?status=500")]
        helper = release_when(server, "wf", lambda s: s.in_flight == 5)
        report = asyncio.run(fetchall.fetch_all(urls, mode="all", workers=2, timeout=60))
        helper.join(5)
        assert (report.summary.failed, report.summary.cancelled) == (1, 4)
        server.wait_until(lambda s: s.disconnects == 4 and s.in_flight == 0)

    def test_first_mode_cancels_losers_in_every_worker(self, server: FaultServer) -> None:
        """The winner in one worker cancels the losers in the others."""
        urls = [server.url("/hang") for _ in range(3)] + [server.url("/gate/ww")]
        helper = release_when(server, "ww", lambda s: s.in_flight == 4)
        report = asyncio.run(fetchall.fetch_all(urls, mode="first", workers=2, timeout=60))
        helper.join(5)
        assert [r.index for r in report.results if r.ok] == [3]
        assert report.summary.cancelled == 3
        server.wait_until(lambda s: s.disconnects == 3 and s.in_flight == 0)

    def test_deadline_across_workers(self, server: FaultServer) -> None:
        """--deadline fails the requests still running in every worker."""
        urls = [server.url("/hang") for _ in range(4)]
        # Generous: the deadline must find every request arrived, even on a loaded machine.
        report = asyncio.run(fetchall.fetch_all(urls, deadline=5, workers=2))
        assert [r.error.kind for r in report.results if r.error] == [ErrorKind.DEADLINE] * 4
        server.wait_until(lambda s: s.disconnects == 4 and s.in_flight == 0)

    @pytest.mark.parametrize("workers", [1, 2])
    def test_all_mode_save_with_workers(
        self, server: FaultServer, tmp_path: Path, workers: int
    ) -> None:
        """All-mode staging works when workers write the bodies."""
        directory = tmp_path / "out"
        urls = [server.url("/ok"), server.url("/bytes/10")]
        report = asyncio.run(
            fetchall.fetch_all(urls, mode="all", save_dir=directory, workers=workers)
        )
        assert report.summary.ok == 2
        assert sorted(p.name for p in directory.rglob("*") if p.is_file()) == ["10", "ok"]
        assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_ctrl_c_to_the_process_group(server: FaultServer) -> None:
    """Ctrl-C reaches every process of the group: exit 130, results written, nothing open."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fetchall", "--workers", "2", "--format", "jsonl"]
        + [server.url("/ok")]
        + [server.url("/hang")] * 3,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job would have
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    server.wait_until(lambda s: s.in_flight == 3)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    rest = [json.loads(line) for line in stdout.splitlines()]
    assert first["ok"] is True
    assert [row["error"]["kind"] for row in rest] == ["cancelled"] * 3
    server.wait_until(lambda s: s.in_flight == 0 and s.disconnects == 3)


class TestAutoWorkers:
    """``--workers auto`` starts processes only for runs big enough to repay them."""

    def test_small_inputs_use_one_process(self, tmp_path: Path) -> None:
        small = tmp_path / "small.txt"
        small.write_text("http://h/\n" * 1000)
        assert auto_workers(("http://h/", "-", str(small))) == 1

    def test_a_big_file_uses_every_cpu(self, tmp_path: Path) -> None:
        big = tmp_path / "big.txt"
        big.write_bytes(b"http://example.com/some/page\n" * (AUTO_MIN_BYTES // 29 + 1))
        assert auto_workers((str(big),)) == len(os.sched_getaffinity(0))


class TestWorkerLostKind:
    """``worker_lost`` is a kind like the others: never tried again, read back from reports."""

    def test_wait_never_tries_a_lost_job_again(self) -> None:
        error = FetchError(ErrorKind.WORKER_LOST, "the worker process fetching it ended")
        delay = delay_before_next_try(
            Options(wait=60), 1, error, None, None, now=0.0, wait_until=60.0
        )
        assert delay is None
        assert not is_retryable(error, None)

    def test_a_merged_report_reads_it_back(self) -> None:
        job = Job(3, "http://h/", "arg")
        lost = result_for(job, error=FetchError(ErrorKind.WORKER_LOST, "gone"), attempts=1)
        row = json.loads(json.dumps(lost.to_dict()))
        assert row["error"] == {"kind": "worker_lost", "message": "gone"}
        assert Result.from_dict(row) == lost
