"""URLs given as arguments count as read from the start: a run that stops early still reports
every one of them, as its own result or as ``cancelled``/``deadline`` by the mode's rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import invoke
from support.fault_server import FaultServer


def run_json(args: list[str]) -> tuple[int, dict[str, object]]:
    result = invoke(["--format", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def kinds(document: dict[str, object]) -> list[str]:
    results = document["results"]
    assert isinstance(results, list)
    return ["ok" if r["ok"] else r["error"]["kind"] for r in results]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_max_failures_reports_every_argument_url(server: FaultServer, workers: str) -> None:
    urls = [server.url(f"/status/500?i={i}") for i in range(14)]
    status, document = run_json(
        ["--max-failures", "2", "--limit", "2", "--workers", workers, *urls]
    )
    assert status == 1
    assert document["summary"] == {
        "ok": 0,
        "failed": 2,
        "cancelled": 12,
        "total": 14,
        "elapsed_s": document["summary"]["elapsed_s"],  # type: ignore[index]
        "warnings": 0,
    }
    results = document["results"]
    assert isinstance(results, list)
    assert [r["index"] for r in results] == list(range(14))
    assert [r["url"] for r in results] == urls
    assert kinds(document).count("cancelled") == 12
    assert server.total_requests <= 4  # the limit's two, plus at most two that raced the stop


def test_deadline_reports_unstarted_argument_urls_as_deadline(server: FaultServer) -> None:
    urls = [server.url(f"/hang?i={i}") for i in range(6)]
    status, document = run_json(["--deadline", "0.5", "--limit", "2", *urls])
    assert status == 1
    assert kinds(document) == ["deadline"] * 6
    assert document["summary"]["failed"] == 6  # type: ignore[index]


def test_arguments_after_a_file_are_numbered_after_the_jobs_read(
    server: FaultServer, tmp_path: Path
) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(server.url(f"/status/500?f={i}") + "\n" for i in range(3)))
    tail = [server.url("/ok?a=1"), server.url("/ok?a=2")]
    status, document = run_json(["--max-failures", "1", "--limit", "1", str(listing), *tail])
    assert status == 1
    results = document["results"]
    assert isinstance(results, list)
    # The file stops being read at the first failure; both argument URLs are still reported,
    # numbered right after the last job read, in the order given.
    assert [r["source"] for r in results][-2:] == ["arg", "arg"]
    assert [r["url"] for r in results][-2:] == tail
    assert kinds(document)[-2:] == ["cancelled", "cancelled"]
    indexes = [r["index"] for r in results]
    assert indexes == sorted(set(indexes))


def test_first_mode_json_reports_every_argument_url(server: FaultServer) -> None:
    urls = [server.url("/ok?w=1"), *(server.url(f"/hang?i={i}") for i in range(5))]
    status, document = run_json(["--mode", "first", "--limit", "1", *urls])
    assert status == 0
    assert kinds(document) == ["ok"] + ["cancelled"] * 5


def test_text_summary_counts_unstarted_argument_urls() -> None:
    urls = [FaultServer.refused_url(f"/x{i}") for i in range(8)]
    process = subprocess.run(
        [sys.executable, "-m", "fetchall", "--max-failures", "1", "--limit", "1", *urls],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 1
    assert "0 ok, 1 failed, 7 cancelled" in process.stdout
