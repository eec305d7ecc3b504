"""The progress line and colour follow the terminal, tried on a real pty.

The progress line shows done/total with a percentage and the time left once the total is
known, the rate and the failures. It goes to stderr only while stderr is a terminal
(``--progress`` and ``--no-progress`` force it either way), never onto stdout, and never cuts a
result line in two when both streams share one terminal. Colour appears only on a terminal and
never with ``NO_COLOR``.
"""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import selectors
import subprocess
import sys
import time
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import assert_clean_stderr
from support.fault_server import FaultServer

from fetchall.cli.progress import Progress
from fetchall.models import Result

CLEAR = "\r\x1b[K"
SGR = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = "\x1b[3"
PROGRESS = re.compile(
    r"\[(\d+)/(\d+) \d+%\] \d+\.\d/s  (\d+) failed(?:  ETA \w+)?"
    r"|\[(\d+) done\] \d+\.\d/s  (\d+) failed"
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


@dataclass(frozen=True)
class Once:
    """Something to do the first time the terminal shows ``seen``."""

    seen: str
    then: Callable[[], object]


def run(
    args: Sequence[str],
    *,
    stdout_on_tty: bool = False,
    stderr_on_tty: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 30,
    when: Once | None = None,
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
            streams = _drain(process, master, timeout, when)
            code = process.wait(timeout=timeout)
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    terminal, stdout, stderr = (data.decode("utf-8") for data in streams)
    assert_clean_stderr(terminal + stderr)
    return Outcome(code, terminal, stdout, stderr)


def _drain(
    process: subprocess.Popen[bytes], master: int, timeout: float, when: Once | None
) -> list[bytes]:
    """Read the terminal and the pipes until every writer has gone, within ``timeout``;
    do ``when.then`` once the terminal has shown ``when.seen``."""
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
                    if when is not None and key.data == "tty" and when.seen in plain(chunks["tty"]):
                        when.then()
                        when = None
                else:
                    selector.unregister(key.fileobj)
    return [b"".join(chunks[name]) for name in ("tty", "stdout", "stderr")]


def plain(chunks: list[bytes]) -> str:
    """What the terminal has shown so far, without colour codes."""
    return SGR.sub("", b"".join(chunks).decode("utf-8", "replace"))


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

    def test_a_files_total_shows_once_counted(self, tmp_path: Path, server: FaultServer) -> None:
        """A file is counted beside the run: its total shows before the first result, the
        first job held at a gate until the terminal shows [0/5 0%]; the last line is 5/5."""
        path = tmp_path / "urls.txt"
        path.write_text(
            f"# five\n{server.url('/gate/count')}\n\n"
            + "".join(f"{server.url('/ok')}?i={i}\n" for i in range(3))
            + server.url("/status/404")
            + "\n",
            encoding="utf-8",
        )
        outcome = run(
            [str(path), "--format", "jsonl", "--limit", "1"],
            when=Once("[0/5 0%] 0.0/s  0 failed", lambda: server.release("count")),
        )
        assert outcome.code == 1
        assert progress_draws(outcome.terminal)[-1].group(1, 2, 3) == ("5", "5", "1")
        assert "[5/5 100%]" in outcome.terminal
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


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def result(index: int, error: dict[str, str] | None = None) -> Result:
    """A result as a report holds it: ok, or failed with ``error``."""
    return Result.from_dict(
        {"url": f"http://h/{index}", "index": index, "source": "arg", "ok": error is None,
         "status": 200 if error is None else 404, "error": error}
    )  # fmt: skip


def ok(index: int) -> Result:
    return result(index)


def failed(index: int) -> Result:
    return result(index, {"kind": "http_status", "message": "404"})


class TestTheLine:
    """The line itself, drawn on a plain stream with a clock that moves when told."""

    def line_after(self, results: list[Result], total: int | None, seconds: float) -> str:
        """The line drawn once ``results`` came within ``seconds``, the total being ``total``."""
        stream, clock = io.StringIO(), Clock()
        progress = Progress(stream, lambda: total, clock=clock)
        for result in results:
            progress.add(result)
        clock.now += seconds
        progress.draw()
        return stream.getvalue().rsplit(CLEAR, 1)[-1]

    def test_done_out_of_the_total_with_share_and_time_left(self) -> None:
        """6 of 20 in 1 s: 30 %, 6.0/s, and 14 more at that rate take 3 s (2.33 rounded up)."""
        results = [ok(i) for i in range(5)] + [failed(5)]
        assert self.line_after(results, 20, 1.0) == "[6/20 30%] 6.0/s  1 failed  ETA 3s"

    def test_without_a_total_a_count_of_done(self) -> None:
        """While the total is not known: how many are done, no share, no time left."""
        assert self.line_after([ok(0), ok(1)], None, 0.5) == "[2 done] 4.0/s  0 failed"

    def test_all_done_has_no_time_left(self) -> None:
        """The last result: 100 % and no ETA."""
        assert self.line_after([ok(0), ok(1)], 2, 0.25) == "[2/2 100%] 8.0/s  0 failed"

    def test_long_times_left_in_minutes_and_hours(self) -> None:
        """1 of 1000 in 1 s leaves 16m39s; 1 of 10000 in 1 s leaves 2h46m."""
        assert self.line_after([ok(0)], 1000, 1.0).endswith("ETA 16m39s")
        assert self.line_after([ok(0)], 10000, 1.0).endswith("ETA 2h46m")

    def test_the_total_shows_from_the_draw_after_it_is_known(self) -> None:
        """A total found while the run goes shows at the next drawing."""
        stream, clock = io.StringIO(), Clock()
        total: list[int | None] = [None]
        progress = Progress(stream, lambda: total[0], clock=clock)
        for i in range(6):
            progress.add(ok(i))
        clock.now += 2
        progress.draw()
        total[0] = 20
        progress.draw()
        draws = stream.getvalue().split(CLEAR)[1:]
        assert draws[-2:] == ["[6 done] 3.0/s  0 failed", "[6/20 30%] 3.0/s  0 failed  ETA 5s"]

    def test_redraws_at_most_ten_times_a_second(self) -> None:
        """Results within 0.1 s of a drawing do not draw the line again."""
        stream, clock = io.StringIO(), Clock()
        progress = Progress(stream, lambda: 3, clock=clock)
        progress.add(ok(0))
        clock.now += 0.06
        progress.add(ok(1))
        clock.now += 0.06
        progress.add(ok(2))
        assert stream.getvalue().count(CLEAR) == 2

    def test_refreshes_while_no_result_comes(self) -> None:
        """Kept fresh on a loop, the line is drawn with no result at all, until stopped."""
        stream = io.StringIO()

        async def wait_for_a_drawing() -> None:
            drawn = asyncio.Event()
            progress = Progress(stream, lambda: (drawn.set(), 4)[1])
            progress.refresh_on(asyncio.get_running_loop())
            await drawn.wait()
            progress.stop()

        asyncio.run(wait_for_a_drawing())
        assert stream.getvalue() == f"{CLEAR}[0/4 0%] 0.0/s  0 failed"
