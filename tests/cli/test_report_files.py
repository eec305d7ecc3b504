"""``--report FORMAT:PATH``: more reports beside standard output, each file whole or not at all."""

from __future__ import annotations

import json
import os
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.cli import assert_one_line_usage_error, finish, invoke, spawn
from support.fault_server import FaultServer


def test_every_report_is_written_beside_stdout(server: FaultServer, tmp_path: Path) -> None:
    urls = [server.url("/ok"), server.url("/status/404")]
    paths = {name: tmp_path / f"report.{name}" for name in ("json", "junit", "jsonl", "text")}
    args = [f"--report={name}:{path}" for name, path in paths.items()]
    result = invoke(["-q", *args, *urls])
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL  404")
    document = json.loads(paths["json"].read_text())
    assert document["summary"]["total"] == 2
    suite = ET.parse(paths["junit"]).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert len(paths["jsonl"].read_text().splitlines()) == 2
    text = paths["text"].read_text()
    assert text.count("\n") > 3
    assert "ok    200" in text  # -q is for standard output; a report file is whole
    assert "\x1b[" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())


@pytest.mark.parametrize(
    ("spec", "mentions"),
    [
        ("junit:{tmp}/missing/dir/report.xml", ["--report junit:", "No such file or directory"]),
        ("yaml:{tmp}/r.yaml", ["--report", "'yaml' is not one of"]),
        ("junit", ["--report", "is not FORMAT:PATH"]),
    ],
)
def test_a_bad_report_is_a_usage_error_before_any_request(
    server: FaultServer, tmp_path: Path, spec: str, mentions: list[str]
) -> None:
    result = invoke(["--report", spec.format(tmp=tmp_path), server.url("/ok")])
    assert_one_line_usage_error(result, *mentions)
    assert server.total_requests == 0
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_directory_is_a_usage_error(server: FaultServer, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    result = invoke(["--report", f"json:{locked}/r.json", server.url("/ok")])
    assert_one_line_usage_error(result, "--report json:", "Permission denied")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_reports_are_whole_after_a_signal(
    server: FaultServer, tmp_path: Path, signum: int, status: int
) -> None:
    junit, document = tmp_path / "r.xml", tmp_path / "r.json"
    junit.write_text("the previous report\n")
    urls = [server.url("/ok"), *(server.url(f"/hang?i={i}") for i in range(3))]
    process = spawn(["--limit", "4", f"--report=junit:{junit}", f"--report=json:{document}", *urls])
    server.wait_until(lambda s: s.in_flight == 3 and s.completed == 1)
    # Until the run ends, the path still holds the previous report, never half of the new one.
    assert junit.read_text() == "the previous report\n"
    assert not document.exists()
    process.send_signal(signum)
    code, _, _ = finish(process)
    assert code == status
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("skipped")) == ("4", "3")
    summary = json.loads(document.read_text())["summary"]
    assert (summary["ok"], summary["cancelled"]) == (1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.xml"]
