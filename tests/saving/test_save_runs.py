"""``--save`` end to end: nothing outside DIR, nothing for a job reported stopped, all mode's
DIR only on success, a failed save is kind ``save`` (never retried), memory O(limit)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path
from types import TracebackType

import pytest
from support.cli import invoke
from support.fault_server import FaultServer
from yarl import URL

import fetchall
from fetchall.engine.run import Run
from fetchall.models import Job, Mode, Result, result_for
from fetchall.options import Options
from fetchall.saving import BodyStore
from fetchall.saving import store as saving_store


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


class SavingTransport:
    """Saves a real body for ``/saved``; ``/fail`` fails. The first job waits until the
    second ends, so that it finishes in the very turn of the loop in which the run stops."""

    def __init__(self, options: Options, store: BodyStore | None) -> None:
        assert store is not None
        self.store = store
        self.second_done = asyncio.Event()

    async def __aenter__(self) -> SavingTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    async def fetch(self, job: Job) -> Result:
        url = URL(job.url)
        if job.index == 0:
            sink = self.store.open(self.store.claim(url))
            sink.write(b"body")
            saved_to = sink.commit()
            await self.second_done.wait()
            return dataclasses.replace(result_for(job, attempts=1, elapsed_ms=5), saved_to=saved_to)
        self.second_done.set()
        if url.path == "/fail":
            return result_for(job, error=fetchall.FetchError(fetchall.ErrorKind.CONNECT, "no"))
        return result_for(job, attempts=1)


@pytest.mark.parametrize(
    ("mode", "second", "options"),
    [(Mode.INDEPENDENT, "/fail", {"max_failures": 1}), (Mode.FIRST, "/won", {})],
    ids=["max-failures", "first-race-loser"],
)
def test_a_job_reported_cancelled_keeps_no_body(
    tmp_path: Path, mode: Mode, second: str, options: dict[str, int]
) -> None:
    """A body saved by a job that ended as the run stopped is removed with its result."""
    directory = tmp_path / "out"
    results: list[Result] = []
    urls = ["http://h/saved", f"http://h{second}"]
    run = Run(
        mode, Options(save_dir=directory, **options), results.append, transport=SavingTransport
    )
    asyncio.run(run.execute(urls))
    first = next(r for r in results if r.index == 0)
    assert first.error is not None
    assert first.error.kind == "cancelled"
    assert (first.attempts, first.elapsed_ms) == (1, 5)
    assert first.saved_to is None
    assert files_under(directory) == []


def test_all_mode_never_writes_through_a_link_left_in_dir(
    server: FaultServer, tmp_path: Path
) -> None:
    """A link in DIR where the host folder goes: bodies land inside DIR, outside untouched."""
    directory, outside = tmp_path / "dir", tmp_path / "outside"
    directory.mkdir()
    outside.mkdir()
    (outside / "ok").write_text("precious", encoding="utf-8")
    host = f"127.0.0.1_{server.port}"
    (directory / host).symlink_to(outside)
    urls = [server.url("/ok"), server.url("/bytes/5")]
    report = asyncio.run(fetchall.fetch_all(urls, mode="all", save_dir=directory))
    assert report.summary.ok == 2
    assert sorted(p.name for p in outside.iterdir()) == ["ok"]
    assert (outside / "ok").read_text(encoding="utf-8") == "precious"
    for result in report.results:
        assert result.saved_to is not None
        saved = Path(result.saved_to)
        assert saved.is_file()
        assert not saved.is_symlink()
        assert saved.parent == directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "outside"]


def test_default_mode_makes_no_folder_through_a_link(server: FaultServer, tmp_path: Path) -> None:
    """A link inside the host folder where a folder of the path goes: nothing is made or
    written outside, the body stays in DIR under a flattened name."""
    directory, outside = tmp_path / "dir", tmp_path / "outside"
    host = directory / f"127.0.0.1_{server.port}"
    host.mkdir(parents=True)
    outside.mkdir()
    (host / "bytes").symlink_to(outside)
    report = asyncio.run(fetchall.fetch_all([server.url("/bytes/5")], save_dir=directory))
    assert report.results[0].saved_to == str(host / "bytes_5")
    assert (host / "bytes_5").read_bytes() == b"\0" * 5 or (host / "bytes_5").stat().st_size == 5
    assert list(outside.iterdir()) == []


def test_a_body_named_part_is_moved_in(server: FaultServer, tmp_path: Path) -> None:
    """In all mode a body whose name ends in .part is saved like any other."""
    directory = tmp_path / "out"
    urls = [server.url("/flaky/archive.7z.part?n=0"), server.url("/flaky/b.tmp?n=0")]
    report = asyncio.run(fetchall.fetch_all(urls, mode="all", save_dir=directory))
    assert report.summary.ok == 2
    for result in report.results:
        assert result.saved_to is not None
        assert Path(result.saved_to).is_file()
    names = [Path(r.saved_to or "").name for r in report.results]
    assert names[0].endswith(".part")
    assert names[1].endswith(".tmp")
    assert len(files_under(directory)) == 2


def test_claims_are_not_kept_per_body() -> None:
    """A store holds nothing per body once its job is done: memory O(limit). Only what the
    store's own code allocated and still holds is counted: caches elsewhere in the process
    (pathlib's, yarl's, a coverage tracer's) grow with what other tests did before."""
    store = BodyStore(Path("/nonexistent"))
    own_code = [tracemalloc.Filter(True, f"*{Path(*BodyStore.__module__.split('.')).parent}*")]
    tracemalloc.start()
    try:
        snapshots = []
        for round_ in range(2):  # the first fills what is bounded, the second must add nothing
            for i in range(20000):
                store.claim(URL(f"http://h/p{round_}-{i}"))
            snapshots.append(tracemalloc.take_snapshot().filter_traces(own_code))
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in snapshots[1].compare_to(snapshots[0], "filename"))
    assert grown < 20_000  # bytes, for 20,000 claims: nothing is kept per body


def test_jobs_in_flight_together_are_named_in_start_order() -> None:
    store = BodyStore(Path("/nonexistent"))
    first = store.claim(URL("http://h/a"))
    second = store.claim(URL("http://h/a"))
    assert (str(first), str(second)) == ("h/a", "h/a-2")
    del first, second
    assert str(store.claim(URL("http://h/a"))) == "h/a"


def _without_coverage() -> dict[str, str]:
    """For a child whose files are held to 1000 bytes: coverage could not write its data."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COV")}


def _small_files() -> None:
    # A file may grow to 1000 bytes; past that a write fails with EFBIG, not a signal.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))


@pytest.mark.parametrize("retry", [["--retries", "3"], ["--wait", "20s"]], ids=["retries", "wait"])
def test_a_failed_save_is_kind_save_and_never_retried(
    server: FaultServer, tmp_path: Path, retry: list[str]
) -> None:
    """A body the disk refuses fails its job with kind save, a short message, one request."""
    directory = tmp_path / "out"
    url = server.url("/bytes/100000") + "?" + "q" * 6000
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "fetchall",
            url,
            "--save",
            str(directory),
            "--format",
            "jsonl",
            "--retry-backoff",
            "0.01",
            *retry,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_small_files,
        env=_without_coverage(),
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    row = json.loads(completed.stdout)
    assert row["error"]["kind"] == "save"
    assert row["attempts"] == 1
    assert "File too large" in row["error"]["message"]
    assert len(row["error"]["message"]) < 160
    assert server.total_requests == 1
    assert files_under(directory) == []


class TestAllModeDir:
    def test_a_failed_run_leaves_no_dir(self, server: FaultServer, tmp_path: Path) -> None:
        """The CLI in all mode: a failed run makes no DIR (nor its missing parent), no staging."""
        directory = tmp_path / "parent" / "out"
        result = invoke(
            [
                server.url("/ok"),
                server.url("/status/500"),
                "--mode",
                "all",
                "--save",
                str(directory),
            ]
        )
        assert result.exit_code == 1
        assert list(tmp_path.iterdir()) == []

    def test_a_successful_run_makes_dir_and_parent(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        directory = tmp_path / "parent" / "out"
        result = invoke(
            [server.url("/ok"), server.url("/bytes/5"), "--mode", "all", "--save", str(directory)]
        )
        assert result.exit_code == 0
        host = f"127.0.0.1_{server.port}"
        assert files_under(tmp_path) == [f"parent/out/{host}/bytes/5", f"parent/out/{host}/ok"]
        assert oct(directory.stat().st_mode & 0o777) == oct(0o777 & ~_umask())

    def test_a_file_in_the_way_of_dir_is_a_usage_error(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x", encoding="utf-8")
        result = invoke(
            ["http://127.0.0.1:9/", "--mode", "all", "--save", str(tmp_path / "file" / "out")]
        )
        assert result.exit_code == 2
        assert "Not a directory" in result.stderr

    def test_an_existing_dir_gets_the_bodies_merged_in(
        self, server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Old files stay, an earlier run's file of the same name is replaced."""
        # The file below is milliseconds old: it counts as an earlier run's without the slack.
        monkeypatch.setattr(saving_store, "CLOCK_SLACK_NS", 0)
        directory = tmp_path / "out"
        host = directory / f"127.0.0.1_{server.port}"
        host.mkdir(parents=True)
        (host / "keep").write_text("old", encoding="utf-8")
        (host / "ok").write_text("old ok", encoding="utf-8")
        result = invoke([server.url("/ok"), "--mode", "all", "--save", str(directory)])
        assert result.exit_code == 0
        assert (host / "ok").read_text(encoding="utf-8") == "ok\n"
        assert (host / "keep").read_text(encoding="utf-8") == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
