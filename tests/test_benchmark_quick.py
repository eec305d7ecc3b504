"""The benchmark script still runs: its --quick mode, end to end (not a measurement)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_quick_benchmark_runs(tmp_path: Path) -> None:
    """bench.py --quick fetches its tiny lists with fetchall and the bare aiohttp pool (both
    must succeed) and writes its tables."""
    out = tmp_path / "quick.md"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--fetchall",
            f"{sys.executable} -m fetchall",
            "--clients",
            "fetchall,bare,curl",
            "--out",
            str(out),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    assert "### throughput: small responses" in report
    assert "fetchall --format jsonl" in report
    assert "| bare aiohttp pool (reference) | 1/1 |" in report
    assert "| CPU µs/req | CPU/req ÷ bare pool |" in report
    assert "Projected on 2/4/8 cores" in report
