"""Checks: what each URL must answer beyond its status (a body, a header, JSON, time, a cert).

The network-free core of checks: parse them from input lines. Nothing here does I/O.
"""

from __future__ import annotations

from fetchall.checks.model import KEY_OPS, Check, CheckKey, CheckSyntaxError, Op
from fetchall.checks.syntax import parse_check, render_check, split_line
from fetchall.checks.values import parse_duration

__all__ = [
    "KEY_OPS",
    "Check",
    "CheckKey",
    "CheckSyntaxError",
    "Op",
    "parse_check",
    "parse_duration",
    "render_check",
    "split_line",
]
