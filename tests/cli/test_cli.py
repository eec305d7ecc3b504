"""The ``fetchall`` command end to end: through click's runner and as a real process."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import click
import pytest
from support.cli import finish, invoke, spawn
from support.fault_server import FaultServer

from fetchall.cli import command
from fetchall.cli.console import Console
from fetchall.cli.settings import Settings
from fetchall.cli.status import exit_status
from fetchall.engine.stopping import Stopper
from fetchall.inputs.reader import Shard
from fetchall.models import Mode, Summary
from fetchall.options import Options


@pytest.fixture(name="url_file")
def _url_file(tmp_path: Path, server: FaultServer) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text(
        "# smoke check\n"
        f"{server.url('/ok')}\n"
        "\n"
        f"{server.url('/status/404')}\n"
        "ftp://example.invalid/file\n"
        f"{server.url('/redirect/1')}\n",
        encoding="utf-8",
    )
    return path


class TestExitStatus:
    def test_all_ok_exits_0(self, server: FaultServer) -> None:
        """Every URL fine: exit 0, one ok line each, a summary line."""
        result = invoke([server.url("/ok"), server.url("/bytes/2048")])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert [line.split()[0] for line in lines[:2]] == ["ok", "ok"]
        assert "2.0 KiB" in result.stdout
        assert lines[-1].startswith("2 ok, 0 failed, 0 cancelled in ")

    def test_failures_exit_1_with_grouped_report(self, url_file: Path) -> None:
        """Failures exit 1; the report groups them by kind with the invalid line's source."""
        result = invoke([str(url_file)])
        assert result.exit_code == 1
        assert f"FAIL  invalid_url  {url_file}:5 not an http(s) URL  ftp://" in result.stdout
        assert "  http_status 404 (1)" in result.stdout
        assert "  invalid_url (1)" in result.stdout
        assert result.stdout.splitlines()[-1].startswith("2 ok, 2 failed, 0 cancelled")

    def test_quiet_drops_ok_lines(self, url_file: Path) -> None:
        """-q leaves only failures, the report and the summary."""
        result = invoke([str(url_file), "-q"])
        assert not any(line.startswith("ok") for line in result.stdout.splitlines())
        assert sum(line.startswith("FAIL") for line in result.stdout.splitlines()) == 2

    @pytest.mark.parametrize(("mode", "status"), [("independent", 1), ("all", 1), ("first", 0)])
    def test_mode_exit_status(self, server: FaultServer, mode: str, status: int) -> None:
        """A 500 and an ok: independent and all fail, first succeeds."""
        result = invoke([server.url("/status/500"), server.url("/ok"), "--mode", mode])
        assert result.exit_code == status

    def test_first_mode_prints_only_the_winner(self, server: FaultServer) -> None:
        """In text, the winner is the only result line of a first-mode race."""
        result = invoke(
            ["--mode", "first", "--limit", "1", server.url("/status/500"), server.url("/ok")]
        )
        assert result.exit_code == 0
        assert [line for line in result.stdout.splitlines() if line[:4] in {"ok  ", "FAIL"}] == [
            line for line in result.stdout.splitlines() if line.startswith("ok")
        ]


class TestUsageErrors:
    def test_missing_file_is_one_line(self, tmp_path: Path) -> None:
        """A missing input: exit 2, a single line naming it, nothing fetched."""
        missing = tmp_path / "nope.txt"
        result = invoke([str(missing)])
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert str(missing) in result.stderr
        assert result.stdout == ""

    def test_only_comments_is_a_usage_error(self, tmp_path: Path) -> None:
        """An input with no job (blank and comment lines only) is a usage error."""
        path = tmp_path / "empty.txt"
        path.write_text("# nothing\n\n   \n", encoding="utf-8")
        result = invoke([str(path)])
        assert result.exit_code == 2
        assert "no URLs in input" in result.stderr

    def test_directory_is_a_usage_error(self, tmp_path: Path) -> None:
        """A directory as input: exit 2, one line."""
        result = invoke([str(tmp_path)])
        assert result.exit_code == 2
        assert "is a directory" in result.stderr
        assert result.stderr.count("\n") == 1

    @pytest.mark.parametrize(
        "args",
        [
            ["--limit", "0"],
            ["--limit", "-3"],
            ["--limit", "ten"],
            ["--timeout", "0"],
            ["--rate", "-1"],
            ["--retries", "-1"],
            ["--accept", "299-200"],
            ["--accept", "abc"],
            ["-H", "NoColon"],
            ["--max-size", "lots"],
            ["--mode", "some"],
            ["--shard", "5/4"],
        ],
    )
    def test_bad_option_values_exit_2_in_one_line(self, args: list[str]) -> None:
        """Every malformed option value is one line on stderr and exit 2."""
        result = invoke(["http://127.0.0.1:9/", *args])
        assert result.exit_code == 2
        assert result.stderr.startswith("fetchall: error: ")
        assert result.stderr.count("\n") == 1
        assert result.stdout == ""


class TestInputs:
    def test_stdin_when_no_input(self, server: FaultServer) -> None:
        """With no INPUT, URLs come from standard input, with `-:line` sources."""
        result = invoke(["--format", "jsonl"], stdin=f"# x\n{server.url('/ok')}\nnot-a-url\n")
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert sorted((r["source"], r["ok"]) for r in rows) == [("-:2", True), ("-:3", False)]

    def test_several_inputs_in_order(self, url_file: Path, server: FaultServer) -> None:
        """Files, `-` and literal URLs are read in order, indexes continuing across them."""
        result = invoke(
            [str(url_file), "-", server.url("/ok"), "--format", "json"],
            stdin=f"{server.url('/ok')}\r\n",
        )
        document = json.loads(result.stdout)
        assert [r["source"] for r in document["results"]] == [
            f"{url_file}:2",
            f"{url_file}:4",
            f"{url_file}:5",
            f"{url_file}:6",
            "-:1",
            "arg",
        ]
        assert [r["index"] for r in document["results"]] == list(range(6))

    def test_environment_sets_defaults(self, server: FaultServer) -> None:
        """FETCHALL_LIMIT=2 bounds the run as --limit 2 would."""
        urls = [server.url("/delay/50") for _ in range(8)]
        result = invoke(urls, FETCHALL_LIMIT="2", FETCHALL_FORMAT="jsonl")
        assert result.exit_code == 0
        assert len(result.stdout.splitlines()) == 8
        assert server.max_in_flight <= 2


class TestFormats:
    def test_json_document(self, url_file: Path) -> None:
        """json: mode, summary, results in input order, and grouped errors."""
        result = invoke([str(url_file), "--format", "json"])
        document = json.loads(result.stdout)
        assert document["mode"] == "independent"
        assert {k: document["summary"][k] for k in ("ok", "failed", "cancelled", "total")} == {
            "ok": 2,
            "failed": 2,
            "cancelled": 0,
            "total": 4,
        }
        assert [r["index"] for r in document["results"]] == [0, 1, 2, 3]
        assert set(document["results"][0]) == {
            "url", "index", "source", "ok", "status", "final_url", "bytes", "elapsed_ms",
            "attempts", "content_type", "saved_to", "error", "checks", "warnings",
        }  # fmt: skip
        groups = {(g["kind"], g["status"]): g["count"] for g in document["errors"]}
        assert groups == {("http_status", 404): 1, ("invalid_url", None): 1}

    def test_junit_document(self, url_file: Path) -> None:
        """junit: one testsuite, one testcase per job, failures typed by kind."""
        result = invoke([str(url_file), "--format", "junit"])
        suite = ET.fromstring(result.stdout.split("\n", 1)[1])
        assert suite.tag == "testsuite"
        assert suite.get("name") == "fetchall"
        assert (suite.get("tests"), suite.get("failures")) == ("4", "2")
        cases = suite.findall("testcase")
        assert len(cases) == 4
        types = [f.get("type") for case in cases for f in case.findall("failure")]
        assert sorted(t or "" for t in types) == ["http_status", "invalid_url"]

    def test_all_mode_junit_marks_cancelled_as_skipped(self, server: FaultServer) -> None:
        """An aborted all-mode run: the failure, and every other job skipped."""
        result = invoke(
            ["--mode", "all", "--format", "junit", server.url("/status/500"), server.url("/ok")]
        )
        suite = ET.fromstring(result.stdout.split("\n", 1)[1])
        assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")

    def test_credentials_never_shown(self, server: FaultServer) -> None:
        """user:password in a URL appears as *** in every format."""
        url = server.url("/status/404").replace("http://", "http://alice:s3cret@")
        for fmt in ("text", "jsonl", "json", "junit"):
            result = invoke([url, "--format", fmt, "-v"])
            assert "s3cret" not in result.output
            assert "alice" not in result.output
            assert "***@" in result.stdout

    def test_verbose_logs_retries_and_redirects(self, server: FaultServer) -> None:
        """-v logs each redirect and each retry to stderr, never to stdout."""
        urls = [server.url("/redirect/1"), server.url("/flaky/v?n=1")]
        result = invoke([*urls, "--retries", "1", "--retry-backoff", "0.01", "-v", "-q"])
        assert result.exit_code == 0
        assert "fetchall: redirect 302: " in result.stderr
        assert "fetchall: retry 1/1 in " in result.stderr
        assert "redirect" not in result.stdout

    def test_insecure_warns_on_stderr(self, server: FaultServer) -> None:
        """--insecure says on stderr that certificates are not verified."""
        result = invoke([server.url("/ok"), "--insecure"])
        assert result.exit_code == 0
        assert "TLS certificates are not verified" in result.stderr

    def test_version_and_help(self) -> None:
        """--version prints the version; --help lists each option with its default."""
        assert invoke(["--version"]).stdout == "fetchall 0.1.0\n"
        text = invoke(["--help"]).stdout
        for option in ("--mode", "--limit", "--timeout", "--format", "--retries", "--accept"):
            assert option in text
        assert re.search(r"--limit .*\[default:\s+10;\s+x>=1\]", " ".join(text.split()))
        assert text.startswith("Usage: fetchall [OPTIONS] [INPUT]...")


class TestProcess:
    def test_python_m_runs_and_exits_with_status(self, server: FaultServer) -> None:
        """`python -m fetchall` works as a real process; jsonl on stdout only."""
        code, stdout, _ = finish(spawn(["--format", "jsonl", server.url("/status/503")]))
        assert code == 1
        assert json.loads(stdout)["status"] == 503

    def test_sigint_reports_what_finished_and_exits_130(self, server: FaultServer) -> None:
        """SIGINT: exit 130; finished results and the summary with the cancel count are written."""
        process = spawn(
            ["--format", "json", server.url("/ok"), server.url("/hang"), server.url("/hang")]
        )
        server.wait_until(lambda s: s.in_flight == 2 and s.completed == 1)
        process.send_signal(signal.SIGINT)
        code, stdout, _ = finish(process)
        assert code == 130
        document = json.loads(stdout)
        assert (document["summary"]["ok"], document["summary"]["cancelled"]) == (1, 2)
        server.wait_until(lambda s: s.in_flight == 0 and s.disconnects == 2)

    def test_sigterm_exits_143(self, server: FaultServer) -> None:
        """SIGTERM: exit 143 and the text summary still printed."""
        process = spawn([server.url("/hang")])
        server.wait_until(lambda s: s.in_flight == 1)
        process.send_signal(signal.SIGTERM)
        code, stdout, _ = finish(process)
        assert code == 143
        assert stdout.splitlines()[-1].startswith("0 ok, 0 failed, 1 cancelled")

    def test_closed_stdout_exits_141_quietly(self, server: FaultServer, tmp_path: Path) -> None:
        """Piping into a reader that goes away ends the run at once with 141, no traceback."""
        path = tmp_path / "many.txt"
        path.write_text(
            "".join(f"{server.url('/ok')}?i={i}\n" for i in range(200))
            + f"{server.url('/hang')}\n" * 20,
            encoding="utf-8",
        )
        read_end, write_end = os.pipe()
        process = subprocess.Popen(
            [sys.executable, "-m", "fetchall", str(path), "--limit", "5"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline().startswith(b"ok")
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 141
        assert stderr == ""
        assert server.total_requests < 220

    def test_first_mode_exits_while_stdin_stays_open(self, server: FaultServer) -> None:
        """A first-mode winner ends the run even though the writer keeps stdin open."""
        with spawn(["--mode", "first"], stdin=subprocess.PIPE) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(f"{server.url('/ok')}\n")
            process.stdin.flush()
            try:
                code = process.wait(timeout=20)  # stdin is still open here
            finally:
                process.kill()
            stdout = process.stdout.read()
        assert code == 0
        assert stdout.startswith("ok    200")


def wait_for_threads(pid: int, count: int, timeout: float = 20) -> None:
    """Block until process ``pid`` runs ``count`` threads (Linux /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list(Path(f"/proc/{pid}/task").iterdir())) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} has fewer than {count} threads after {timeout} s")


class TestInterruptWhileReading:
    def test_all_mode_stops_while_stdin_is_still_open(self, server: FaultServer) -> None:
        """SIGINT while all mode is still reading an open pipe: exit 130 at once, jobs cancelled."""
        with spawn(["--mode", "all", "--format", "jsonl"], stdin=subprocess.PIPE) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(f"{server.url('/ok')}\n{server.url('/ok')}\n")
            process.stdin.flush()
            # Its input thread starts once the run handles signals itself.
            wait_for_threads(process.pid, 2)
            # Before the fix this waited for an end of input that never comes.
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=20)
            finally:
                process.kill()
                process.stdin.close()
            rows = [json.loads(line) for line in process.stdout.read().splitlines()]
        assert code == 130
        assert server.total_requests == 0
        # Whatever was read before the signal is reported cancelled; nothing succeeded.
        assert all(row["error"]["kind"] == "cancelled" for row in rows)

    def test_second_sigint_exits_at_once(self, server: FaultServer) -> None:
        """Two Ctrl-C in a row: exit 130, no traceback."""
        process = spawn([server.url("/hang")])
        server.wait_until(lambda s: s.in_flight == 1)
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        code, _, _ = finish(process)
        assert code == 130


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def console(*, terminal: bool = False, **environ: str) -> Console:
    """A console whose streams are all terminals, or all not, with ``environ``."""
    kind = FakeTerminal if terminal else io.StringIO
    return Console(kind(), kind(), kind(), environ)


def settings(args: Sequence[str], on: Console) -> Settings:
    """The settings the command builds from ``args`` on the console ``on``."""
    with command.make_context("fetchall", list(args)) as ctx:
        params = dict(ctx.params)
    return Settings.from_params(params.pop("inputs"), params, on)


class TestSettings:
    def test_every_option_field_is_a_parameter(self) -> None:
        """Each field of Options has the command parameter of the same name that sets it."""
        names = {param.name for param in command.params}
        assert {field.name for field in dataclasses.fields(Options)} <= names

    def test_options_are_passed_on_by_name(self) -> None:
        """Option values reach Options converted: headers as pairs, the method upper-cased,
        the save folder as a path."""
        options = settings(
            ["u://x", "-H", "A: b", "-X", "head", "--save", "out", "--accept", "200,304"],
            console(),
        ).options
        assert options.headers == (("A", "b"),)
        assert options.method == "HEAD"
        assert options.save_dir == Path("out")
        assert str(options.accept) == "200,304"

    def test_terminal_stdin_without_input_is_a_usage_error(self) -> None:
        """No INPUT while standard input is a terminal: a one-line usage error."""
        with pytest.raises(click.UsageError, match="standard input is a terminal"):
            settings([], console(terminal=True))

    def test_piped_stdin_without_input_reads_it(self) -> None:
        """No INPUT while standard input is not a terminal: it is read, as `-`."""
        assert settings([], console()).inputs == ("-",)

    @pytest.mark.parametrize(("terminal", "flag", "progress"), [
        (True, [], True), (False, [], False), (False, ["--progress"], True),
        (True, ["--no-progress"], False),
    ])  # fmt: skip
    def test_progress_follows_the_given_stderr(
        self, terminal: bool, flag: list[str], progress: bool
    ) -> None:
        """The progress line is on when the console's stderr is a terminal, unless forced."""
        assert settings(["u://x", *flag], console(terminal=terminal)).progress is progress

    def test_completion_index_comes_from_the_given_environment(self) -> None:
        """--shard N takes K from the console's JOB_COMPLETION_INDEX, counted from 0."""
        on = console(JOB_COMPLETION_INDEX="2")
        assert settings(["u://x", "--shard", "4"], on).shard == Shard(3, 4)


def summary(mode: str, ok: int, failed: int, cancelled: int) -> Summary:
    return Summary(Mode(mode), ok, failed, cancelled, 0.0)


class TestExitStatusRule:
    @pytest.mark.parametrize(("counts", "status"), [
        (("independent", 2, 0, 0), 0), (("independent", 1, 1, 0), 1),
        (("all", 1, 0, 1), 1), (("first", 1, 1, 3), 0), (("first", 0, 2, 0), 1),
        (("independent", 0, 0, 0), 0),
    ])  # fmt: skip
    def test_a_run_is_judged_by_its_mode(
        self, counts: tuple[str, int, int, int], status: int
    ) -> None:
        """A run succeeds by its mode's rule: first needs one success, the others every job."""
        assert exit_status(summary(*counts)) == status

    @pytest.mark.parametrize(("counts", "status"), [
        (("first", 1, 0, 2), 0), (("first", 0, 1, 2), 1), (("independent", 0, 0, 0), 0),
        (("all", 3, 0, 0), 0), (("independent", 2, 0, 1), 1),
    ])  # fmt: skip
    def test_merged_reports_follow_the_same_rule(
        self, counts: tuple[str, int, int, int], status: int
    ) -> None:
        """Merged reports are judged like a run, by their mode's rule (one rule, on Summary)."""
        assert exit_status(summary(*counts)) == status

    def test_a_closed_output_or_a_signal_comes_first(self) -> None:
        """141 for a closed stdout, then 130/143 for a signal, before the mode's rule."""
        ok = summary("independent", 1, 0, 0)
        assert exit_status(ok, output_closed=True, signum=signal.SIGINT) == 141
        assert exit_status(ok, signum=signal.SIGINT) == 130
        assert exit_status(ok, signum=signal.SIGTERM) == 143


def test_a_ctrl_c_while_the_handlers_are_put_back_exits_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C that lands between the loop's handler going and the entry handler coming
    back (Python's default handler then raises KeyboardInterrupt) ends the process with 130,
    as a second Ctrl-C does, not with a traceback."""
    from fetchall.cli import signals  # noqa: PLC0415

    exits: list[int] = []
    monkeypatch.setattr(signals.os, "_exit", exits.append)
    entry = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    async def run() -> None:
        loop = asyncio.get_running_loop()
        remove = loop.remove_signal_handler
        landed: list[int] = []

        def removed_then_interrupted(signum: int) -> bool:
            found = remove(signum)
            if not landed:  # the first time only: the Ctrl-C lands once
                landed.append(signum)
                raise KeyboardInterrupt
            return found

        with signals.SignalsStopRun(Stopper()):
            monkeypatch.setattr(loop, "remove_signal_handler", removed_then_interrupted)

    try:
        asyncio.run(run())
    finally:
        for signum, handler in entry.items():
            signal.signal(signum, handler)
    assert exits == [130]
