"""The command's process collects garbage less often than Python's default; a library
caller's process keeps its own setting."""

from __future__ import annotations

import subprocess
import sys

from fetchall.process import YOUNG_OBJECTS_BEFORE_COLLECTING

_PROBE = """
import gc, sys
sys.argv = ["fetchall", "--help"]
{imports}
try:
    {call}
except SystemExit:
    pass
print(gc.get_threshold())
"""


def _threshold_after(imports: str, call: str) -> tuple[int, int, int]:
    code = _PROBE.format(imports=imports, call=call)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    numbers = done.stdout.strip().splitlines()[-1].strip("()").split(",")
    first, middle, old = (int(n) for n in numbers)
    return first, middle, old


def test_the_command_collects_less_often() -> None:
    default = _threshold_after("", "pass")
    threshold = _threshold_after("from fetchall.__main__ import main", "main()")
    assert threshold == (YOUNG_OBJECTS_BEFORE_COLLECTING, default[1], default[2])
    assert default[0] < YOUNG_OBJECTS_BEFORE_COLLECTING


def test_the_library_leaves_the_collector_alone() -> None:
    default = _threshold_after("", "pass")
    threshold = _threshold_after("import asyncio, fetchall", "asyncio.run(fetchall.fetch_all([]))")
    assert threshold == default
