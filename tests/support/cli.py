"""Running the ``fetchall`` command in tests: in-process through click, or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from click.testing import CliRunner, Result

from fetchall.cli import command

FORBIDDEN_ON_STDERR = ("Traceback", "Task was destroyed", "Unclosed", "Exception ignored")
"""What must never reach a user's terminal: a crash, or a task or connection left behind."""


def assert_clean_stderr(stderr: str) -> None:
    """Fail on a traceback or an asyncio/aiohttp leak warning in ``stderr``."""
    for marker in FORBIDDEN_ON_STDERR:
        assert marker not in stderr, stderr


def invoke(args: Sequence[str], stdin: str | None = None, **env: str | None) -> Result:
    """Run the command in-process; stdout and stderr kept apart.

    The caller's own ``FETCHALL_*`` settings (and a Kubernetes shard index) are left out, so
    that a test sees only the environment it gives (``env``, None to unset).
    """
    clean: dict[str, str | None] = {
        name: None
        for name in os.environ
        if name.startswith("FETCHALL_") or name in ("JOB_COMPLETION_INDEX", "NO_COLOR")
    }
    return CliRunner().invoke(command, list(args), input=stdin, env={**clean, **env})


def run_process(args: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run the real command to its end, stdin closed; fail on a traceback or a leak warning."""
    completed = subprocess.run(
        [sys.executable, "-m", "fetchall", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert_clean_stderr(completed.stderr)
    return completed


def spawn(
    args: Sequence[str], *, stdin: int | None = subprocess.DEVNULL, **kwargs: object
) -> subprocess.Popen[str]:
    """Start the real command in a child process, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "fetchall", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]  # Popen's overloads cannot take **object
    )


def finish(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    """Wait for a spawned command; its exit status, stdout and a stderr checked clean."""
    stdout, stderr = process.communicate(timeout=timeout)
    assert_clean_stderr(stderr)
    return process.returncode, stdout, stderr


def assert_one_line_usage_error(result: Result, *mentions: str) -> None:
    """Exit 2, a single ``fetchall: error:`` line on stderr naming ``mentions``, no stdout."""
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("fetchall: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for mention in mentions:
        assert mention in result.stderr
    assert result.stdout == ""
