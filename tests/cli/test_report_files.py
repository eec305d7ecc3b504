"""``--report FORMAT:PATH``: more reports beside standard output, each file whole or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

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


def _without_coverage() -> dict[str, str]:
    """For a child whose files are held to 1000 bytes: coverage could not write its data."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COV")}


def _files_up_to_1000_bytes() -> None:
    # Past 1000 bytes a write fails with EFBIG ("File too large"), as on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))


@pytest.mark.parametrize("padding", [450, 0], ids=["at-the-end", "as-the-run-goes"])
def test_a_report_the_disk_refuses_is_one_line_and_exit_1(
    server: FaultServer, tmp_path: Path, padding: int
) -> None:
    """The previous report stays, no temporary file, stdout and the other report whole.

    Files may hold 1000 bytes: the json report of one long URL fails when it is finished,
    the one of 300 URLs as results come; the text report of the one URL fits.
    """
    big, small = tmp_path / "r.json", tmp_path / "r.txt"
    big.write_text('{"previous": true}\n')
    args = [f"--report=json:{big}", "--format", "json"]
    if padding:
        urls = [server.url("/ok?" + "p" * padding)]
        args.append(f"--report=text:{small}")
    else:
        urls = [server.url(f"/ok?i={i}") for i in range(300)]
    completed = subprocess.run(
        [sys.executable, "-m", "fetchall", *args, *urls],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_files_up_to_1000_bytes,
        env=_without_coverage(),
        check=False,
    )
    assert completed.returncode == 1
    lines = completed.stderr.splitlines()
    assert lines == [f"fetchall: error: --report json:{big} was not written: File too large"]
    assert json.loads(completed.stdout)["summary"]["ok"] == len(urls)
    assert big.read_text() == '{"previous": true}\n'
    kept = ["r.json", "r.txt"] if padding else ["r.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == kept
    if padding:
        assert small.read_text().splitlines()[-1].startswith("1 ok, 0 failed")


def test_a_refused_report_keeps_a_failing_exit_status(server: FaultServer, tmp_path: Path) -> None:
    """A run that failed anyway still exits 1; the report's line is printed all the same."""
    report = tmp_path / "r.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "fetchall",
            f"--report=json:{report}",
            "-q",
            server.url("/status/404?" + "p" * 2000),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_files_up_to_1000_bytes,
        env=_without_coverage(),
        check=False,
    )
    assert completed.returncode == 1
    assert "--report json:" in completed.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_for_a_report(server: FaultServer, tmp_path: Path) -> None:
    """On a real full file system (a 1 MiB tmpfs): one line, previous file kept, exit 1."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(tiny)],
            capture_output=True,
            check=False,
        ).returncode
        != 0
    ):
        pytest.skip("this system does not let tmpfs be mounted here")
    try:
        report = tiny / "r.json"
        report.write_text('{"previous": true}\n')
        with contextlib.suppress(OSError):
            (tiny / "filler").write_bytes(b"\0" * 1_000_000)
        urls = [server.url(f"/ok?i={i}") for i in range(3000)]
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "fetchall",
                str(tmp_path / "urls.txt"),
                "--limit",
                "50",
                f"--report=json:{report}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 1
        assert completed.stderr.splitlines() == [
            f"fetchall: error: --report json:{report} was not written: No space left on device"
        ]
        assert completed.stdout.splitlines()[-1].startswith("3000 ok, 0 failed")
        assert report.read_text() == '{"previous": true}\n'
        assert sorted(p.name for p in tiny.iterdir()) == ["filler", "r.json"]
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder", "dangling-symlink"])
def test_a_path_that_is_not_a_regular_file_is_a_usage_error(
    server: FaultServer, tmp_path: Path, kind: str
) -> None:
    path, target = tmp_path / "r.xml", tmp_path / "target.xml"
    match kind:
        case "symlink":
            target.write_text("kept\n")
            path.symlink_to(target)
        case "dangling-symlink":
            path.symlink_to(target)
        case "fifo":
            os.mkfifo(path)
        case "folder":
            path.mkdir()
    result = invoke(["--report", f"junit:{path}", server.url("/ok")])
    assert_one_line_usage_error(result, f"--report junit:{path}", "not a regular file")
    assert server.total_requests == 0
    assert path.is_symlink() == kind.endswith("symlink")
    assert path.is_fifo() == (kind == "fifo")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["r.xml", *(["target.xml"] if kind == "symlink" else [])]
    )


def test_a_device_is_a_usage_error(server: FaultServer, tmp_path: Path) -> None:
    """A device node as PATH (like /dev/stdout or /dev/null) is refused. The node is made in
    tmp_path, never the system's own: a regression would replace it with a file."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    result = invoke(["--report", f"json:{device}", server.url("/ok")])
    assert_one_line_usage_error(
        result, f"--report json:{device}", "is a device, not a regular file"
    )
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert server.total_requests == 0


@pytest.mark.parametrize("when", ["as-the-run-goes", "at-the-end"])
def test_a_refused_report_in_process(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """The same promise through CliRunner: a write or the final rename refused by the disk."""
    from fetchall.cli import reports  # noqa: PLC0415

    full = OSError(28, "No space left on device")
    if when == "at-the-end":

        def refuse(*args: object) -> None:
            raise full

        monkeypatch.setattr(reports.os, "replace", refuse)
    else:
        real = tempfile.NamedTemporaryFile

        def refusing_writes(*args: Any, **kwargs: Any) -> Any:
            handle = real(*args, **kwargs)

            def write(text: str) -> int:
                raise full

            handle.write = write
            return handle

        monkeypatch.setattr(reports.tempfile, "NamedTemporaryFile", refusing_writes)
    report = tmp_path / "r.json"
    report.write_text("previous\n")
    # jsonl writes each result as it comes; json only at the end.
    spec = f"{'jsonl' if when == 'as-the-run-goes' else 'json'}:{report}"
    result = invoke(["--report", spec, "--format", "jsonl", server.url("/ok")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"fetchall: error: --report {spec} was not written: No space left on device"
    ]
    assert json.loads(result.stdout)["ok"] is True
    assert report.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
