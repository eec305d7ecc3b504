"""The progress line and colour follow the terminal (contract §7, §9), tried on a real pty.

The progress line goes to stderr only while stderr is a terminal (``--progress`` and
``--no-progress`` force it either way), never onto stdout, and never cuts a result line in two
when both streams share one terminal. Colour appears only on a terminal and never with
``NO_COLOR``.
"""

from __future__ import annotations

import os
import pty
import re
import selectors
import subprocess
import sys
import time
import tty
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.fault_server import FaultServer

FORBIDDEN = ("Traceback", "Task was destroyed", "Unclosed", "Exception ignored")
CLEAR = "\r\x1b[K"
SGR = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = "\x1b[3"
PROGRESS = re.compile(
    r"\[(\d+)/(\d+)\] \d+\.\d/s  (\d+) failed|\[(\d+) done\] \d+\.\d/s  (\d+) failed"
)
RESULT_LINE = re.compile(r"(?:ok|FAIL) +\d{3} .* (http://127\.0\.0\.1:\d+/\S+)")


@dataclass(frozen=True)
class Outcome:
    """What a run wrote: the exit status, the terminal's bytes and the piped streams."""

    code: int
    terminal: str
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that changes colour or progress, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "NO_COLOR" and not key.startswith("FETCHALL_")
    }
    env.update(extra)
    return env


def run(
    args: Sequence[str],
    *,
    stdout_on_tty: bool = False,
    stderr_on_tty: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 30,
) -> Outcome:
    """Run ``python -m fetchall`` with stderr (and maybe stdout) on a pseudo-terminal."""
    master, slave = pty.openpty()
    try:
        tty.setraw(slave)  # no \n -> \r\n translation: the bytes seen are the bytes written
        with subprocess.Popen(
            [sys.executable, "-m", "fetchall", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave if stdout_on_tty else subprocess.PIPE,
            stderr=slave if stderr_on_tty else subprocess.PIPE,
            env=clean_env() if env is None else env,
        ) as process:
            os.close(slave)
            slave = -1
            streams = _drain(process, master, timeout)
            code = process.wait(timeout=timeout)
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    terminal, stdout, stderr = (data.decode("utf-8") for data in streams)
    for marker in FORBIDDEN:
        assert marker not in terminal + stderr, terminal + stderr
    return Outcome(code, terminal, stdout, stderr)


def _drain(process: subprocess.Popen[bytes], master: int, timeout: float) -> list[bytes]:
    """Read the terminal and the pipes until every writer has gone, within ``timeout``."""
    chunks: dict[object, list[bytes]] = {"tty": [], "stdout": [], "stderr": []}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(master, selectors.EVENT_READ, "tty")
        for name in ("stdout", "stderr"):
            pipe = getattr(process, name)
            if pipe is not None:
                selector.register(pipe, selectors.EVENT_READ, name)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                pytest.fail(f"fetchall did not finish within {timeout} s")
            for key, _ in selector.select(remaining):
                try:
                    data = os.read(key.fd, 65536)
                except OSError:  # EIO: the last slave descriptor closed
                    data = b""
                if data:
                    chunks[key.data].append(data)
                else:
                    selector.unregister(key.fileobj)
    return [b"".join(chunks[name]) for name in ("tty", "stdout", "stderr")]


@pytest.fixture(name="urls")
def _urls(server: FaultServer) -> list[str]:
    """Two good URLs and a failing one, as literal arguments (so the total is known)."""
    return [server.url("/ok"), server.url("/ok?x=1"), server.url("/status/500")]


def progress_draws(text: str) -> list[re.Match[str]]:
    """Every drawing of the progress line in ``text``."""
    return list(PROGRESS.finditer(SGR.sub("", text)))


class TestStderrIsATerminal:
    def test_progress_on_the_terminal_results_on_the_pipe(self, urls: list[str]) -> None:
        """stderr a tty, stdout a pipe: the final [3/3] line with rate and failures is drawn on
        the tty, and stdout holds only plain result lines."""
        outcome = run([*urls, "--format", "text"])
        assert outcome.code == 1
        draws = progress_draws(outcome.terminal)
        assert draws, repr(outcome.terminal)
        assert draws[-1].group(1, 2, 3) == ("3", "3", "1")
        assert outcome.terminal.endswith(CLEAR)  # the line is gone before the report
        assert "\r" not in outcome.stdout
        assert "\x1b" not in outcome.stdout
        lines = outcome.stdout.splitlines()
        assert sum(bool(RESULT_LINE.fullmatch(line)) for line in lines) == 3
        assert lines[-1].startswith("2 ok, 1 failed, 0 cancelled in ")

    def test_unknown_total_counts_done(self, tmp_path: Path, server: FaultServer) -> None:
        """With a file as input the total is unknown: the line says `N done`."""
        path = tmp_path / "urls.txt"
        path.write_text(
            "".join(f"{server.url('/ok')}?i={i}\n" for i in range(4))
            + server.url("/status/404")
            + "\n",
            encoding="utf-8",
        )
        outcome = run([str(path), "--format", "jsonl"])
        assert outcome.code == 1
        assert progress_draws(outcome.terminal)[-1].group(4, 5) == ("5", "1")
        assert len(outcome.stdout.splitlines()) == 5
        assert "\r" not in outcome.stdout

    def test_jsonl_stdout_stays_clean(self, urls: list[str]) -> None:
        """jsonl on a pipe: nothing but one JSON object per line, however stderr is drawn."""
        outcome = run([*urls, "--format", "jsonl"])
        assert all(
            line.startswith("{") and line.endswith("}") for line in outcome.stdout.split("\n")[:-1]
        )
        assert outcome.stdout.endswith("\n")
        assert len(outcome.stdout.splitlines()) == 3
        assert progress_draws(outcome.terminal)

    def test_no_progress_on_a_terminal(self, urls: list[str]) -> None:
        """--no-progress: nothing at all is written to the terminal."""
        outcome = run([*urls, "--no-progress"])
        assert outcome.code == 1
        assert outcome.terminal == ""
        assert len(outcome.stdout.splitlines()) > 3

    def test_no_progress_from_the_environment(self, urls: list[str]) -> None:
        """FETCHALL_PROGRESS=false turns the line off as --no-progress does."""
        outcome = run(urls, env=clean_env(FETCHALL_PROGRESS="false"))
        assert outcome.terminal == ""


class TestStderrIsAPipe:
    def test_no_progress_when_piped(self, urls: list[str]) -> None:
        """Neither stream a terminal: stderr stays empty."""
        outcome = run(urls, stderr_on_tty=False)
        assert outcome.code == 1
        assert outcome.stderr == ""
        assert outcome.terminal == ""

    def test_forced_progress_when_piped(self, urls: list[str]) -> None:
        """--progress draws the line on a piped stderr too, and still not on stdout."""
        outcome = run([*urls, "--progress"], stderr_on_tty=False)
        assert progress_draws(outcome.stderr)[-1].group(1, 2, 3) == ("3", "3", "1")
        assert "\r" not in outcome.stdout
        assert not progress_draws(outcome.stdout)

    def test_forced_progress_from_the_environment(self, urls: list[str]) -> None:
        """FETCHALL_PROGRESS=1 forces it as --progress does."""
        outcome = run(urls, stderr_on_tty=False, env=clean_env(FETCHALL_PROGRESS="1"))
        assert progress_draws(outcome.stderr)

    def test_forced_progress_on_a_pipe_has_no_colour(self, urls: list[str]) -> None:
        """The forced line on a pipe is plain, failures included."""
        outcome = run([*urls, "--progress"], stderr_on_tty=False)
        assert COLOUR not in outcome.stderr


class TestSharedTerminal:
    def test_result_lines_are_never_cut_by_the_progress_line(
        self, tmp_path: Path, server: FaultServer
    ) -> None:
        """stdout and stderr on one tty: every result line reaches it whole, after a clear."""
        urls = [server.url(f"/delay/{10 + i % 4 * 10}?i={i}") for i in range(40)]
        urls += [server.url(f"/status/503?i={i}") for i in range(5)]
        path = tmp_path / "urls.txt"
        path.write_text("\n".join(urls) + "\n", encoding="utf-8")
        outcome = run([str(path), "--limit", "4"], stdout_on_tty=True)
        assert outcome.code == 1
        assert len(progress_draws(outcome.terminal)) >= 2, repr(outcome.terminal[:500])
        seen = []
        for line in SGR.sub("", outcome.terminal).split("\n"):
            # What remains visible of a line is what follows its last clear.
            visible = line.rsplit(CLEAR, 1)[-1]
            assert "\r" not in visible, repr(line)
            assert "\x1b" not in visible, repr(line)
            if match := RESULT_LINE.fullmatch(visible):
                seen.append(match[1])
                assert not PROGRESS.search(visible), repr(line)
            elif "ok " in visible or "FAIL" in visible:
                pytest.fail(f"a broken result line: {line!r}")
        assert sorted(seen) == sorted(urls)
        assert outcome.stdout == ""
        # The grouped report and the summary follow the last clear, unbroken.
        tail = SGR.sub("", outcome.terminal).rsplit(CLEAR, 1)[-1]
        assert "errors:" in tail
        assert tail.splitlines()[-1].startswith("40 ok, 5 failed, 0 cancelled in ")

    def test_quiet_shared_terminal_shows_only_failures(self, urls: list[str]) -> None:
        """-q on a shared tty: the FAIL line and the summary, no ok lines, line still drawn."""
        outcome = run([*urls, "-q"], stdout_on_tty=True)
        visible = [line.rsplit(CLEAR, 1)[-1] for line in SGR.sub("", outcome.terminal).split("\n")]
        assert sum(line.startswith("FAIL") for line in visible) == 1
        assert not any(line.startswith("ok ") for line in visible)
        assert progress_draws(outcome.terminal)


class TestColour:
    def test_colour_on_a_terminal(self, urls: list[str]) -> None:
        """On a tty without NO_COLOR, FAIL lines and the failure count are red."""
        outcome = run(urls, stdout_on_tty=True)
        assert "\x1b[31mFAIL" in outcome.terminal
        assert "\x1b[32mok" in outcome.terminal
        assert "\x1b[31m1 failed" in outcome.terminal

    def test_no_color_on_a_terminal(self, urls: list[str]) -> None:
        """NO_COLOR=1: no colour codes on the tty, neither in results nor the progress line."""
        outcome = run(urls, stdout_on_tty=True, env=clean_env(NO_COLOR="1"))
        assert COLOUR not in outcome.terminal
        assert "\x1b[0m" not in outcome.terminal
        assert progress_draws(outcome.terminal)[-1].group(3) == "1"
        assert "FAIL " in outcome.terminal

    def test_no_color_for_the_progress_line_alone(self, urls: list[str]) -> None:
        """NO_COLOR=1 with only stderr on the tty: the progress line is plain."""
        outcome = run(urls, env=clean_env(NO_COLOR="1"))
        assert COLOUR not in outcome.terminal
        assert progress_draws(outcome.terminal)

    def test_no_colour_on_a_pipe(self, urls: list[str]) -> None:
        """stdout a pipe, stderr a tty: result lines are plain, the progress line red."""
        outcome = run(urls)
        assert "\x1b[" not in outcome.stdout
        assert "FAIL  500" in outcome.stdout
        assert "\x1b[31m1 failed" in outcome.terminal
