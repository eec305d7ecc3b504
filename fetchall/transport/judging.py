"""A job's checks on the response of an attempt: what to keep for them, and their verdict.

Checks (and jmespath) load with the first job that has any, so start-up stays lean.
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import aiohttp

from fetchall.models import ErrorKind, FetchError, Response
from fetchall.transport.attempt import AttemptFailed
from fetchall.transport.body import receive
from fetchall.transport.sessions import CertificateNotingResponse

if TYPE_CHECKING:
    from fetchall.checks import Check, CheckOutcome, CheckPlan
    from fetchall.options import Options
    from fetchall.saving import BodyStore


def plan_of(checks: tuple[Check, ...]) -> CheckPlan:
    """What the response must be read for: its body, headers, certificate, status."""
    from fetchall.checks import plan_of as planned  # noqa: PLC0415 (only for jobs with checks)

    return planned(checks)


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
    attempt's request was sent, on the monotonic clock, for the elapsed check.
    """
    from fetchall.checks import judge  # noqa: PLC0415
    from fetchall.transport.observing import observed_of  # noqa: PLC0415

    # The certificate is read while the connection that served the response is held.
    cert_expires = None
    if isinstance(response, CertificateNotingResponse):
        cert_expires = response.cert_expires
    body: list[bytes] | None = [] if plan.body else None
    seen = await receive(response, options.max_size, store, save_as, body)
    observed = observed_of(
        response,
        seen,
        elapsed=time.monotonic() - sent,
        body=None if body is None else b"".join(body),
        cert_expires=cert_expires,
        tls_verified=not options.insecure,
        with_headers=plan.headers,
    )
    return seen, judge(checks, observed)


def fail_unless_met(seen: Response, outcomes: tuple[CheckOutcome, ...]) -> None:
    """Raise :class:`AttemptFailed` (``expectation``) when a check failed on ``seen``."""
    from fetchall.checks import failure_kind, failure_message  # noqa: PLC0415

    if failure_kind(outcomes) is not None:
        error = FetchError(ErrorKind.EXPECTATION, failure_message(outcomes))
        raise AttemptFailed(error, seen, None, outcomes)
