"""A job's checks on the response of an attempt: what to keep for them, and their verdict.

Checks (and jmespath) load with the first job that has any, so start-up stays lean.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import aiohttp

from fetchall.models import ErrorKind, FetchError, Job, JobWarning, Response, Result, result_for
from fetchall.transport.attempt import AttemptFailed, seen_of
from fetchall.transport.body import read_body
from fetchall.transport.sessions import CertificateNotingResponse

if TYPE_CHECKING:
    from fetchall.checks import Check, CheckOutcome, CheckPlan
    from fetchall.options import Options
    from fetchall.saving import BodyStore


def plan_of(checks: tuple[Check, ...], *, strict: bool) -> CheckPlan:
    """What the response must be read for: its body, headers, certificate, status."""
    from fetchall.checks import plan_of as planned  # noqa: PLC0415 (only for jobs with checks)

    return planned(checks, strict=strict)


async def receive_judged(
    response: aiohttp.ClientResponse,
    *,
    options: Options,
    store: BodyStore | None,
    save_as: PurePosixPath | None,
    checks: tuple[Check, ...],
    plan: CheckPlan,
    sent: float,
) -> tuple[Response, tuple[CheckOutcome, ...]]:
    """Read the response keeping what its checks need, and judge them on it.

    ``save_as`` is None for a body not to be saved (its status failed); ``sent`` is when the
    attempt's request was sent, on the monotonic clock, for the elapsed check. A body is saved
    only once its checks have passed: a job they fail (or that ``--warn-on`` turns into a
    warning) leaves no file.
    """
    from fetchall.checks import failure_kind, judge  # noqa: PLC0415
    from fetchall.transport.observing import observed_of  # noqa: PLC0415

    # The certificate is read while the connection that served the response is held.
    cert_expires = None
    if isinstance(response, CertificateNotingResponse):
        cert_expires = response.cert_expires
    body: list[bytes] | None = [] if plan.body else None
    sink = None if store is None or save_as is None else store.open(save_as)
    saved_to = None
    try:
        seen = seen_of(response, await read_body(response, options.max_size, sink, body))
        observed = observed_of(
            response,
            seen,
            elapsed=time.monotonic() - sent,
            body=None if body is None else b"".join(body),
            cert_expires=cert_expires,
            tls_verified=not options.insecure,
            with_headers=plan.headers,
        )
        outcomes = judge(checks, observed, strict=options.strict)
        if sink is not None and failure_kind(outcomes) is None:
            saved_to = sink.commit()
    finally:
        # Failed, timed out, cancelled (CancelledError passes on) or not passed: no file stays.
        if sink is not None and saved_to is None:
            sink.discard()
    if saved_to is not None:
        seen = replace(seen, saved_to=saved_to)
    return seen, outcomes


def fail_unless_met(seen: Response, outcomes: tuple[CheckOutcome, ...]) -> None:
    """Raise :class:`AttemptFailed` (``expectation``) when a check failed on ``seen``."""
    from fetchall.checks import failure_kind, failure_message  # noqa: PLC0415

    if failure_kind(outcomes) is not None:
        error = FetchError(ErrorKind.EXPECTATION, failure_message(outcomes))
        raise AttemptFailed(error, seen, None, outcomes)


def warnings_of(outcomes: tuple[CheckOutcome, ...]) -> tuple[JobWarning, ...] | None:
    """The warnings of a job that passed: one per failed ``warn:`` check, in order
    (``http_status`` for a ``status`` check, else ``expectation``), or None when every
    ``warn:`` check passed."""
    from fetchall.checks import CheckKey  # noqa: PLC0415 (only jobs with checks)

    warnings = tuple(
        JobWarning(
            ErrorKind.HTTP_STATUS if outcome.key is CheckKey.STATUS else ErrorKind.EXPECTATION,
            outcome.check,
            str(outcome),
        )
        for outcome in outcomes
        if outcome.warn and not outcome.ok
    )
    return warnings or None


def warned_result(job: Job, failure: AttemptFailed, *, attempts: int, elapsed_ms: int) -> Result:
    """The final ``failure`` of ``job`` as ``--warn-on`` turns it into a warning: a success
    whose response (if any) is as the failure saw it, its checks as the failure left them.
    No failed attempt saves its body (see :func:`receive_judged`), so none is reported."""
    assert failure.response is None or failure.response.saved_to is None
    error = failure.error
    return result_for(
        job,
        response=failure.response,
        attempts=attempts,
        elapsed_ms=elapsed_ms,
        checks=failure.outcomes,
        warnings=(JobWarning(error.kind, None, error.message),),
    )
