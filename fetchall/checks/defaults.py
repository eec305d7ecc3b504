"""Checks every job must pass (``--expect``, ``FETCHALL_EXPECT``) and how a job's own replace them.

A job's own check replaces a default with the same key and operator. For ``header`` and
``json`` the key includes the argument: ``header:NAME`` (NAME in any case, as headers are) and
``json:PATH`` (PATH as written). So ``header:x-frame-options=SAMEORIGIN`` on a line replaces
``--expect header:X-Frame-Options=DENY``, while ``time<=2s`` does not replace ``time<800ms``:
both apply, as their operators differ. A ``warn:`` check is apart from the plain check of the
same key and operator (both apply) and replaces only a ``warn:`` default.
"""

from __future__ import annotations

from fetchall.checks.model import Check, CheckKey, Op


def merge_checks(defaults: tuple[Check, ...], own: tuple[Check, ...]) -> tuple[Check, ...]:
    """A job's checks: the defaults its own checks do not replace, then its own, in order."""
    if not defaults:
        return own
    if not own:
        return defaults
    replaced = {_slot(check) for check in own}
    kept = tuple(check for check in defaults if _slot(check) not in replaced)
    return kept + own


def _slot(check: Check) -> tuple[bool, CheckKey, str | None, Op]:
    """What a check replaces: its tier (``warn:`` or not), its key (with the header name in
    any case) and operator."""
    argument = check.argument
    if check.key is CheckKey.HEADER and argument is not None:
        argument = argument.lower()
    return check.warn, check.key, argument, check.op
