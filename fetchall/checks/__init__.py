"""Checks: what each URL must answer beyond its status (a body, a header, JSON, time, a cert).

The network-free core of checks: parse them from input lines and ``--expect``, and merge the
defaults into a job's own. Nothing here does I/O.
"""

from __future__ import annotations

from fetchall.checks.defaults import merge_checks, parse_expect
from fetchall.checks.model import KEY_OPS, Check, CheckKey, CheckSyntaxError, Op
from fetchall.checks.syntax import parse_check, render_check, split_line
from fetchall.checks.values import parse_duration

__all__ = [
    "KEY_OPS",
    "Check",
    "CheckKey",
    "CheckSyntaxError",
    "Op",
    "merge_checks",
    "parse_check",
    "parse_duration",
    "parse_expect",
    "render_check",
    "split_line",
]
