"""A job stopped by ``--deadline`` or cancelled still reports the attempts it made and the
time it took: the server's own count of requests is the job's ``attempts``."""

from __future__ import annotations

import asyncio
import threading

from support.fault_server import FaultServer

import fetchall


def test_a_job_stopped_by_the_deadline_reports_its_attempts(server: FaultServer) -> None:
    report = asyncio.run(
        fetchall.fetch_all(
            [server.url("/status/503")], retries=1000, retry_backoff=0.05, deadline=1.0
        )
    )
    (result,) = report.results
    assert result.error is not None
    assert result.error.kind == "deadline"
    # An attempt stopped before its request reached the server counts too.
    assert result.attempts - server.hits["/status/503"] in (0, 1)
    assert result.attempts >= 2
    assert result.elapsed_ms >= 900


def test_a_cancelled_job_reports_its_attempts(server: FaultServer) -> None:
    """All mode: a sibling fails once the retried job has been tried three times."""

    def fail_the_sibling() -> None:
        server.wait_until(lambda s: s.hits["/status/503"] >= 3, timeout=30)
        server.release("sibling")

    thread = threading.Thread(target=fail_the_sibling, daemon=True)
    thread.start()
    urls = [server.url("/status/503"), server.url("/gate/sibling?status=404")]
    report = asyncio.run(fetchall.fetch_all(urls, mode="all", retries=1000, retry_backoff=0.02))
    thread.join(30)
    retried, sibling = report.results
    assert sibling.status == 404
    assert retried.error is not None
    assert retried.error.kind == "cancelled"
    assert retried.attempts - server.hits["/status/503"] in (0, 1)
    assert retried.attempts >= 3
    assert retried.elapsed_ms > 0
