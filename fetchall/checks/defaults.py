"""Checks every job must pass (``--expect``, ``FETCHALL_EXPECT``) and how a job's own replace them.

A job's own check replaces a default with the same key and operator. For ``header`` and
``json`` the key includes the argument: ``header:NAME`` (NAME in any case, as headers are) and
``json:PATH`` (PATH as written). So ``header:x-frame-options=SAMEORIGIN`` on a line replaces
``--expect header:X-Frame-Options=DENY``, while ``time<=2s`` does not replace ``time<800ms``:
both apply, as their operators differ.
"""

from __future__ import annotations

from collections.abc import Iterable

from fetchall.checks.model import Check, CheckKey, Op
from fetchall.checks.syntax import parse_check


def parse_expect(values: Iterable[str]) -> tuple[Check, ...]:
    """Default checks from ``--expect`` values or the lines of ``FETCHALL_EXPECT``.

    Each value is one check; blanks around it are ignored and blank values skipped (the
    variable may end with a newline). A value that does not parse raises CheckSyntaxError.
    """
    checks: list[Check] = []
    for value in values:
        token = value.strip()
        if token:
            checks.append(parse_check(token))
    return tuple(checks)


def merge_checks(defaults: tuple[Check, ...], own: tuple[Check, ...]) -> tuple[Check, ...]:
    """A job's checks: the defaults its own checks do not replace, then its own, in order."""
    if not defaults:
        return own
    if not own:
        return defaults
    replaced = {_slot(check) for check in own}
    kept = tuple(check for check in defaults if _slot(check) not in replaced)
    return kept + own


def _slot(check: Check) -> tuple[CheckKey, str | None, Op]:
    """What a check replaces: its key (with the header name in any case) and operator."""
    argument = check.argument
    if check.key is CheckKey.HEADER and argument is not None:
        argument = argument.lower()
    return check.key, argument, check.op
