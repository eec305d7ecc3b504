"""A real ``fetchall --workers`` process against a misbehaving server, a worker killed or
stopped mid-run: every input line still has exactly one result (counted by ``index``), the
exit status is the one the results call for, every report parses, and no worker process
outlives the command.

The moment a worker is killed is chosen by the server's request counter, never by a sleep.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from fault_processes import finish, is_running, start, workers_of
from support.cli import assert_clean_stderr
from support.fault_server import FaultServer

JOBS = 3000

# Each line's path, and the kinds its result may have: what the URL deserves, or worker_lost.
_MIX: list[tuple[str, str | None]] = [
    ("/ok", None),
    ("/delay/100", None),
    ("/redirect/2", None),
    ("/status/500", "http_status"),
    ("/reset", "protocol"),
    ("/close-early", "protocol"),
    ("/ok", None),
    ("/delay/50", None),
    ("/bytes/3000", None),
    ("/ok", None),
]
_STALL = ("/delay/5000", "timeout")  # one line in a hundred: held past --timeout
_TRICKLE = ("/trickle?bytes=50&interval=0.5", "timeout")


def mixed_lines(server: FaultServer, count: int, gated: int) -> list[tuple[str, str | None]]:
    """``count`` URLs (each unique, so the server counts each apart) and the kind each
    deserves (None: success); the first ``gated`` are held at gate ``m``."""
    lines = []
    for i in range(count):
        if i < gated:
            path, kind = "/gate/m", None
        elif i % 100 == 7:
            path, kind = _STALL
        elif i % 100 == 57:
            path, kind = _TRICKLE
        else:
            path, kind = _MIX[i % len(_MIX)]
        joiner = "&" if "?" in path else "?"
        lines.append((server.url(f"{path}{joiner}i={i}"), kind))
    return lines


def one_result_per_index(results: list[dict[str, Any]], count: int) -> dict[int, dict[str, Any]]:
    """The results by index, after checking that each of ``count`` lines has exactly one."""
    indexes = Counter(row["index"] for row in results)
    assert sorted(indexes) == list(range(count)), "a line without a result, or a stray one"
    assert max(indexes.values()) == 1, [i for i, n in indexes.items() if n > 1][:10]
    return {row["index"]: row for row in results}


def kind_of(row: dict[str, Any]) -> str | None:
    return None if row["error"] is None else str(row["error"]["kind"])


def read_reports(tmp_path: Path, count: int) -> dict[int, dict[str, Any]]:
    """Parse the json, jsonl and junit reports; each holds one result per line."""
    document = json.loads((tmp_path / "r.json").read_text())
    by_index = one_result_per_index(document["results"], count)
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert one_result_per_index(rows, count) == by_index
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert len(suite.findall("testcase")) == count
    lost = sum(kind_of(row) == "worker_lost" for row in by_index.values())
    assert len(suite.findall("testcase/failure[@type='worker_lost']")) == lost
    summary = document["summary"]
    failed = sum(not row["ok"] for row in by_index.values())
    assert (summary["total"], summary["failed"]) == (count, failed)
    return by_index


def report_args(tmp_path: Path) -> list[str]:
    return [
        "--report",
        f"json:{tmp_path / 'r.json'}",
        "--report",
        f"jsonl:{tmp_path / 'r.jsonl'}",
        "--report",
        f"junit:{tmp_path / 'r.xml'}",
    ]


def json_report(tmp_path: Path) -> list[str]:
    return ["--report", f"json:{tmp_path / 'r.json'}"]


def assert_no_worker_left(pids: list[int]) -> None:
    assert [pid for pid in pids if is_running(pid)] == []


def test_thousands_of_mixed_faults_and_a_worker_killed(server: FaultServer, tmp_path: Path) -> None:
    """Resets, stalls, truncations and errors over 3000 lines, one of three workers killed
    after 1000 requests: one result per line, each the one its URL deserves or worker_lost,
    exit 1, every report whole."""
    lines = mixed_lines(server, JOBS, gated=60)
    (tmp_path / "urls.txt").write_text("".join(f"{url}\n" for url, _ in lines))
    options = shlex.split("--workers 3 --limit 60 --timeout 2 --retries 1 --retry-backoff 0.01 -q")
    process = start([str(tmp_path / "urls.txt"), *options, *report_args(tmp_path)])
    pids = workers_of(process.pid, 2)
    # 60 held at once: every process fetches (each holds its share of 20).
    server.wait_for_arrivals("m", 60, timeout=60)
    server.release("m")
    server.wait_until(lambda s: s.total_requests >= 1000, timeout=60)
    os.kill(pids[0], signal.SIGKILL)
    status, _, stderr, took = finish(process)
    assert_clean_stderr(stderr)
    assert status == 1
    by_index = read_reports(tmp_path, JOBS)
    kinds = {index: kind_of(row) for index, row in by_index.items()}
    lost = [index for index, kind in kinds.items() if kind == "worker_lost"]
    assert lost, "the killed worker held no job"
    assert {i: k for i, k in kinds.items() if k != "worker_lost"} == {
        i: kind for i, (_, kind) in enumerate(lines) if i not in lost
    }
    assert took < 60
    assert_no_worker_left(pids)


def test_a_killed_worker_s_jobs_are_lost_not_retried(server: FaultServer, tmp_path: Path) -> None:
    """kill -9 of a worker: its jobs end as worker_lost, never tried again (even under
    --wait), the others succeed, the summary is printed and the report written."""
    urls = [server.url(f"/gate/k?i={i}") for i in range(300)]
    (tmp_path / "urls.txt").write_text("".join(f"{url}\n" for url in urls))
    options = shlex.split("--workers 3 --limit 30 --wait 60s")
    process = start([str(tmp_path / "urls.txt"), *options, *json_report(tmp_path)])
    pids = workers_of(process.pid, 2)
    # 30 held at once: each of the three processes holds its share of 10.
    server.wait_for_arrivals("k", 30, timeout=60)
    os.kill(pids[0], signal.SIGKILL)
    server.wait_until(lambda s: s.in_flight == 20, timeout=30)  # its connections closed
    server.release("k")
    status, stdout, stderr, _ = finish(process)
    assert_clean_stderr(stderr)
    assert status == 1
    results = one_result_per_index(json.loads((tmp_path / "r.json").read_text())["results"], 300)
    lost = [row for row in results.values() if kind_of(row) == "worker_lost"]
    # Under --wait the engine holds two jobs per --limit slot: the worker held 20, 10 of them
    # at the server (its share of --limit), 10 waiting for a connection in it.
    assert len(lost) == 20, [(r["index"], r["error"]["message"]) for r in lost]
    assert all(row["ok"] for row in results.values() if kind_of(row) != "worker_lost")
    hits = server.hits
    assert sorted(hits[f"/gate/k?i={row['index']}"] for row in lost) == [0] * 10 + [1] * 10
    assert [row["attempts"] for row in lost] == [1] * 20
    assert stdout.splitlines()[-1].startswith(f"{300 - len(lost)} ok, {len(lost)} failed, 0 ")
    assert_no_worker_left(pids)


def test_a_stopped_worker_is_lost_and_killed(server: FaultServer, tmp_path: Path) -> None:
    """SIGSTOP of a worker, the silence allowed lowered to 2 s: its jobs end as worker_lost
    within the bound, the run finishes, and the stopped process is gone."""
    urls = [server.url(f"/gate/s?i={i}") for i in range(100)]
    process = start(
        [*urls, "--workers", "2", "--limit", "20", "--format", "jsonl"], lost_after_s=2.0
    )
    pids = workers_of(process.pid, 1)
    # 20 held at once: each process holds its share of 10.
    server.wait_for_arrivals("s", 20, timeout=60)
    os.kill(pids[0], signal.SIGSTOP)
    server.release("s")
    status, stdout, stderr, took = finish(process)
    assert_clean_stderr(stderr)
    assert status == 1
    results = one_result_per_index([json.loads(line) for line in stdout.splitlines()], 100)
    lost = [row for row in results.values() if kind_of(row) == "worker_lost"]
    assert len(lost) == 10, [(r["index"], r["error"]["message"], r["elapsed_ms"]) for r in lost]
    assert all("sent nothing for" in row["error"]["message"] for row in lost)
    assert all(2000 <= row["elapsed_ms"] < 8000 for row in lost), [r["elapsed_ms"] for r in lost]
    assert all(row["ok"] for row in results.values() if kind_of(row) != "worker_lost")
    assert took < 30
    assert_no_worker_left(pids)


def hang_with_a_stopped_worker(
    server: FaultServer, tmp_path: Path, *options: str
) -> tuple[Any, list[int]]:
    """40 hanging jobs over 2 processes, all in flight, then the worker stopped."""
    urls = [server.url(f"/hang?i={i}") for i in range(40)]
    common = shlex.split("--workers 2 --limit 40 --timeout 600")
    process = start([*urls, *common, *options, *json_report(tmp_path)])
    pids = workers_of(process.pid, 1)
    server.wait_until(lambda s: s.in_flight == 40, timeout=60)
    os.kill(pids[0], signal.SIGSTOP)
    return process, pids


def test_a_stopped_worker_does_not_hold_the_deadline(server: FaultServer, tmp_path: Path) -> None:
    """SIGSTOP of a worker (silence allowed: the default 10 s) and --deadline 6: the run ends
    on time, every job a deadline failure, the report written, no process left."""
    process, pids = hang_with_a_stopped_worker(server, tmp_path, "--deadline", "6")
    status, _, stderr, _ = finish(process)
    assert_clean_stderr(stderr)
    assert status == 1
    document = json.loads((tmp_path / "r.json").read_text())
    results = one_result_per_index(document["results"], 40)
    assert {kind_of(row) for row in results.values()} == {"deadline"}
    # The deadline counts from the start; the stopped worker is killed 2 s after, at most.
    assert document["summary"]["elapsed_s"] < 6 + 4
    assert_no_worker_left(pids)


def test_sigterm_with_a_stopped_worker(server: FaultServer, tmp_path: Path) -> None:
    """SIGSTOP of a worker, then SIGTERM: exit 143 within seconds, the report written."""
    process, pids = hang_with_a_stopped_worker(server, tmp_path)
    process.terminate()
    status, stdout, stderr, took = finish(process)
    assert_clean_stderr(stderr)
    assert status == 143
    assert took < 8
    results = one_result_per_index(json.loads((tmp_path / "r.json").read_text())["results"], 40)
    assert {kind_of(row) for row in results.values()} == {"cancelled"}
    assert "0 ok, 0 failed, 40 cancelled" in stdout
    assert_no_worker_left(pids)
