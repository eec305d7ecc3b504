"""Checks: what each URL must answer beyond its status (a body, a header, JSON, time, a cert).

The network-free core of checks: parse them from input lines and ``--expect``, merge the
defaults into a job's own, and judge them on what a response showed. The engine and the input
reader call these functions; nothing here does I/O.

Typical use::

    url, own = split_line(line)                  # CheckSyntaxError -> invalid_url
    checks = merge_checks(defaults, own)         # defaults: parse_check(each --expect)
    outcomes = judge(checks, Observed(...))
    kind = failure_kind(outcomes)                # None, "http_status" or "expectation"
"""

from __future__ import annotations

from fetchall.checks.defaults import merge_checks
from fetchall.checks.judge import judge
from fetchall.checks.model import Check, CheckKey, CheckSyntaxError, Op
from fetchall.checks.outcome import CheckOutcome, Observed
from fetchall.checks.syntax import parse_check, render_check, split_line
from fetchall.checks.values import parse_duration
from fetchall.checks.verdict import (
    CheckPlan,
    FailureKind,
    failure_kind,
    failure_message,
    needs_body,
    needs_cert,
    needs_headers,
    plan_of,
)

__all__ = [
    "Check",
    "CheckKey",
    "CheckOutcome",
    "CheckPlan",
    "CheckSyntaxError",
    "FailureKind",
    "Observed",
    "Op",
    "failure_kind",
    "failure_message",
    "judge",
    "merge_checks",
    "needs_body",
    "needs_cert",
    "needs_headers",
    "parse_check",
    "parse_duration",
    "plan_of",
    "render_check",
    "split_line",
]
