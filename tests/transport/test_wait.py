"""``--wait``: wait for a deployment to come up by trying failed jobs again until a budget
runs out, with every failure but an invalid URL, and no request slot held while waiting."""

from __future__ import annotations

import asyncio

from support.cli import assert_one_line_usage_error, invoke
from support.fault_server import FaultServer

import fetchall
from fetchall import ErrorKind


def fetch(urls: list[str], **options: object) -> fetchall.Report:
    return asyncio.run(fetchall.fetch_all(urls, **options))


def test_a_job_is_tried_until_it_succeeds(server: FaultServer) -> None:
    report = fetch([server.url("/flaky/up?n=3&status=503")], wait=30, retry_backoff=0.01)
    (result,) = report.results
    assert (result.ok, result.attempts) == (True, 4)
    assert server.key_hits["up"] == 4


def test_statuses_that_retries_never_retry_are_retried(server: FaultServer) -> None:
    report = fetch([server.url("/flaky/nf?n=2&status=404")], wait=30, retry_backoff=0.01)
    assert [r.attempts for r in report.results] == [3]
    assert report.summary.ok == 1


def test_connection_refused_is_retried_until_the_budget_runs_out() -> None:
    report = fetch([FaultServer.refused_url()], wait=0.6, retry_backoff=0.05)
    (result,) = report.results
    assert result.error is not None
    assert result.error.kind is ErrorKind.CONNECT
    # Backoff 0.05 doubling (jittered to half at least): tries at ~0, .03+, .08+, .18+, ...
    # and a last one when the 0.6 s budget is spent. The budget counts from the run's start,
    # a little before this job's, hence the margin on its elapsed time.
    assert result.attempts >= 4
    assert result.elapsed_ms >= 450


def test_an_invalid_url_is_not_retried() -> None:
    report = fetch(["ftp://example.invalid/"], wait=30)
    (result,) = report.results
    assert result.error is not None
    assert result.error.kind is ErrorKind.INVALID_URL
    assert result.attempts == 0


def test_a_failure_counts_for_max_failures_only_once_final(server: FaultServer) -> None:
    urls = [server.url("/flaky/mf?n=2&status=500"), server.url("/ok")]
    report = fetch(urls, wait=30, retry_backoff=0.01, max_failures=1)
    assert (report.summary.ok, report.summary.failed, report.summary.cancelled) == (2, 0, 0)


def test_all_mode_waits_instead_of_cancelling(server: FaultServer) -> None:
    urls = [server.url("/flaky/all?n=2&status=502"), server.url("/ok")]
    report = fetch(urls, mode="all", wait=30, retry_backoff=0.01)
    assert report.summary.ok == 2


def test_a_waiting_job_holds_no_request_slot(server: FaultServer) -> None:
    order: list[int] = []

    async def run() -> None:
        urls = [server.url("/flaky/slot?n=1&status=503"), server.url("/ok")]
        async with fetchall.stream(urls, limit=1, wait=30, retry_backoff=0.4) as results:
            async for result in results:
                order.append(result.index)

    asyncio.run(run())
    # Job 0 fails at once and waits at least 0.2 s; with its slot given back, job 1 runs and
    # ends in that pause. Holding the slot would make job 1 wait for job 0.
    assert order == [1, 0]


def test_wait_across_workers(server: FaultServer) -> None:
    urls = [server.url(f"/flaky/w{i}?n=2&status=503") for i in range(4)]
    report = fetch(urls, wait=30, retry_backoff=0.01, workers=2)
    assert report.summary.ok == 4
    assert [r.attempts for r in report.results] == [3, 3, 3, 3]


def test_deadline_still_ends_a_waiting_run() -> None:
    report = fetch([FaultServer.refused_url()], wait=60, retry_backoff=0.05, deadline=0.5)
    (result,) = report.results
    assert result.error is not None
    assert result.error.kind is ErrorKind.DEADLINE


def test_the_command_waits(server: FaultServer) -> None:
    url = server.url("/flaky/cli?n=2&status=503")
    result = invoke(["--wait", "30s", "--retry-backoff", "0.01", "--format", "jsonl", url])
    assert result.exit_code == 0, result.output
    assert '"attempts": 3' in result.stdout


def test_a_bad_wait_is_a_usage_error(server: FaultServer) -> None:
    assert_one_line_usage_error(invoke(["--wait", "soon", server.url("/ok")]), "--wait", "soon")
    assert server.total_requests == 0
