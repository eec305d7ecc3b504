"""What a job's checks mean for the rest of fetchall: what to keep, and how a failure reads.

The fetcher asks :func:`plan_of` what a job's checks need (the body, the headers, the
certificate) and whether a status counts as success in place of ``--accept``; after
:func:`~judge.judge`, :func:`failure_kind` and :func:`failure_message` build the job's error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

from fetchall.checks.model import Check, CheckKey
from fetchall.checks.outcome import CheckOutcome
from fetchall.statuses import AcceptedStatuses

FailureKind = Literal["http_status", "expectation"]
"""The two error kinds checks give; the values of ``ErrorKind`` members of the same names."""

_BODY_KEYS = frozenset({CheckKey.BODY, CheckKey.JSON})


def needs_body(checks: Iterable[Check]) -> bool:
    """Whether the body must be held in memory to judge these checks."""
    return any(check.key in _BODY_KEYS for check in checks)


def needs_headers(checks: Iterable[Check]) -> bool:
    """Whether a ``header`` check needs the response's headers."""
    return any(check.key is CheckKey.HEADER for check in checks)


def needs_cert(checks: Iterable[Check]) -> bool:
    """Whether the server certificate's expiry must be read to judge these checks."""
    return any(check.key is CheckKey.CERT for check in checks)


def failure_kind(outcomes: Iterable[CheckOutcome]) -> FailureKind | None:
    """``http_status`` if a ``status`` check failed, else ``expectation`` if any check failed,
    else None (every check passed). A ``warn:`` check never fails the job."""
    kind: FailureKind | None = None
    for outcome in outcomes:
        if not outcome.ok and not outcome.warn:
            if outcome.key is CheckKey.STATUS:
                return "http_status"
            kind = "expectation"
    return kind


def failure_message(outcomes: Iterable[CheckOutcome]) -> str:
    """Every failed check and what was seen, in order, joined with ``; `` (empty if none):
    ``body~Welcome: not found; time<800ms: took 1.21 s``."""
    return "; ".join(str(outcome) for outcome in outcomes if not outcome.ok and not outcome.warn)


class CheckPlan(NamedTuple):
    """What one tuple of checks asks of a response, worked out once for every job sharing it."""

    body: bool
    headers: bool
    cert: bool
    statuses: tuple[AcceptedStatuses, ...]
    """The sets of the ``status`` checks (all must hold); empty means ``--accept`` decides.
    A ``warn:status`` check is not among them: it warns, and leaves success to the others."""

    def accepts(self, status: int, accept: AcceptedStatuses) -> bool:
        """Whether ``status`` counts as success: every ``status`` check's set holds it, or, for
        checks with none, ``accept`` (``--accept``) does."""
        if not self.statuses:
            return status in accept
        return all(status in statuses for statuses in self.statuses)


_PLANS: dict[tuple[int, bool], tuple[tuple[Check, ...], CheckPlan]] = {}
_MOST_PLANS = 1024


def plan_of(checks: tuple[Check, ...], *, strict: bool = False) -> CheckPlan:
    """The :class:`CheckPlan` of ``checks`` (``strict``: ``warn:`` checks as plain ones). Jobs
    share their checks tuples (one per distinct line tail, one for the ``--expect`` defaults),
    so the answer is kept by the tuple itself."""
    known = _PLANS.get((id(checks), strict))
    if known is not None and known[0] is checks:
        return known[1]
    plan = CheckPlan(
        body=needs_body(checks),
        headers=needs_headers(checks),
        cert=needs_cert(checks),
        statuses=tuple(
            check.expected
            for check in checks
            if check.key is CheckKey.STATUS
            and isinstance(check.expected, AcceptedStatuses)
            and (strict or not check.warn)
        ),
    )
    if len(_PLANS) >= _MOST_PLANS:
        _PLANS.clear()
    # The tuple is kept with its plan, so its id cannot be reused by another while here.
    _PLANS[id(checks), strict] = (checks, plan)
    return plan
