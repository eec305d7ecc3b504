"""An offline tour of fetchall's modes, run against the local demo server.

    python examples/demo.py

It starts ``demo_server.py`` on 127.0.0.1:8765 in a background thread, runs the
fetchall CLI (``python -m fetchall``) a few times on ``demo-urls.txt`` and on
small lists of its own, and prints each run's output and exit code.  It exits 0
when every run ended with the exit code the contract promises, 1 otherwise, and
2 when it cannot start (the port is taken).  Nothing leaves this machine.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# demo-urls.txt names this port, so the server must use it too.
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
# A run that outlives this is hung; fail it instead of waiting forever.
RUN_TIMEOUT = 120

if str(HERE) not in sys.path:
    # Lets demo.py find its sibling when it is run by path from any folder.
    sys.path.insert(0, str(HERE))

from demo_server import serve_in_thread  # noqa: E402


@dataclass(frozen=True)
class Run:
    """One CLI invocation and the exit code the contract promises for it."""

    title: str
    args: list[str]
    expected: int


def _env() -> dict[str, str]:
    """The environment for the CLI runs.

    In a source checkout where fetchall is not installed, ``python -m
    fetchall`` still works because the checkout is put on ``PYTHONPATH``.
    """
    env = dict(os.environ)
    # The demo's output should look the same everywhere: no bar, no colour.
    env["NO_COLOR"] = "1"
    if importlib.util.find_spec("fetchall") is None and (REPO / "fetchall").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _write_list(folder: Path, name: str, paths: list[str]) -> str:
    """Write a URL list of ``paths`` on the demo server; return its file name."""
    target = folder / name
    target.write_text("".join(f"{BASE}{path}\n" for path in paths), encoding="utf-8")
    return str(target)


def _runs(tmp: Path) -> list[Run]:
    """The tour: every mode, the json format and smoke checks, with their expected exit codes."""
    # Relative to HERE, the runs' working folder, so sources read demo-urls.txt:N.
    demo_urls = "demo-urls.txt"
    good = _write_list(tmp, "good-urls.txt", ["/ok", "/page/1", "/page/2", "/redirect"])
    race = _write_list(tmp, "race-urls.txt", ["/slow", "/status/404", "/ok"])
    return [
        Run(
            "independent: every URL is fetched; the 404, the 500 and the bad line fail",
            ["--mode", "independent", "--limit", "4", demo_urls],
            1,
        ),
        Run(
            "all: the ftp:// line is invalid, so nothing is fetched at all",
            ["--mode", "all", demo_urls],
            1,
        ),
        Run(
            "all: a list where everything succeeds, reported in input order",
            ["--mode", "all", good],
            0,
        ),
        Run(
            "first: /slow, a 404 and /ok race; /ok wins, the rest is cancelled",
            ["--mode", "first", race],
            0,
        ),
        Run(
            "json: one document with a summary, the results and the grouped errors",
            ["--format", "json", demo_urls],
            1,
        ),
        Run(
            "smoke checks: the checks after each URL catch a degraded health page, a missing"
            " word and a slow page behind their 200s; a JUnit report is written as well",
            ["--report", f"junit:{tmp / 'report.xml'}", "demo-checks.txt"],
            1,
        ),
    ]


def _run(run: Run, env: dict[str, str]) -> bool:
    """Show one CLI run live; return whether it exited as expected."""
    command = [sys.executable, "-m", "fetchall", "--timeout", "10", *run.args]
    shown = " ".join(["fetchall", *command[3:]])
    print(f"\n=== {run.title}\n$ {shown}", flush=True)
    try:
        # Output is not captured: the CLI writes to our terminal, as a user sees it.
        code = subprocess.run(
            command, cwd=HERE, env=env, check=False, timeout=RUN_TIMEOUT
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"--- no exit after {RUN_TIMEOUT} s (expected {run.expected}): FAILED", flush=True)
        return False
    verdict = "as expected" if code == run.expected else "UNEXPECTED"
    print(f"--- exit code {code} (expected {run.expected}): {verdict}", flush=True)
    return code == run.expected


def main() -> int:
    """Serve, run the tour, and report whether every exit code was right."""
    try:
        stop = serve_in_thread(PORT)
    except OSError as exc:
        print(
            f"demo.py: cannot serve on 127.0.0.1:{PORT} ({exc.strerror or exc}); "
            "is demo_server.py already running?",
            file=sys.stderr,
        )
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="fetchall-demo-") as tmp:
            env = _env()
            outcomes = [_run(run, env) for run in _runs(Path(tmp))]
    finally:
        stop()
    passed = sum(outcomes)
    print(f"\n{passed} of {len(outcomes)} runs ended with the expected exit code.")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
