"""The library: ``Result.warnings`` and ``Summary.warnings``, in one process and across workers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from support.cli import invoke
from support.fault_server import FaultServer

from fetchall import ErrorKind, JobWarning, WarnOn, fetch_all


def test_fetch_all_reports_warnings(server: FaultServer) -> None:
    urls = [server.url("/status/429"), server.url("/ok"), server.url("/status/404")]
    report = asyncio.run(fetch_all(urls, warn_on=WarnOn.parse("429"), retries=0))
    busy, fine, missing = report.results
    assert (busy.ok, busy.error, busy.status) == (True, None, 429)
    assert busy.warnings == (JobWarning(ErrorKind.HTTP_STATUS, None, "HTTP 429 Too Many Requests"),)
    assert fine.warnings is None
    assert missing.failed
    assert (report.summary.ok, report.summary.failed, report.summary.warnings) == (2, 1, 1)
    assert report.summary.succeeded is False


def test_strict_turns_the_tier_off(server: FaultServer) -> None:
    report = asyncio.run(
        fetch_all([server.url("/status/429")], warn_on=WarnOn.parse("429"), strict=True)
    )
    assert report.summary.failed == 1
    assert report.summary.warnings == 0


def test_worker_processes_warn_the_same(server: FaultServer, tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    lines = [f"{server.url('/status/429')}?i={i}" for i in range(4)]
    lines += [f"{server.url('/delay/30')}?i={i} warn:time<1ms" for i in range(4)]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(["--workers", "2", "--warn-on", "429", "--format", "json", str(listing)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["warnings"] == 8
    kinds = sorted(r["warnings"][0]["kind"] for r in document["results"])
    assert kinds == ["expectation"] * 4 + ["http_status"] * 4
    assert server.total_requests == 8
