"""Fetch one job in this process: one :class:`~fetchall.models.Job` in, one
:class:`~fetchall.models.Result` out, through as many attempts as the retry rules allow.

A :class:`Fetcher` owns the run's sessions (:mod:`fetchall.transport.sessions`). An attempt
waits for its bounds (:mod:`fetchall.transport.limits`) before its ``--timeout`` starts, so
that waiting in a long queue never eats into it; then it sends the request, lets aiohttp follow
redirects (:mod:`fetchall.transport.redirects`), reads the body (:mod:`fetchall.transport.body`)
and judges the job's checks on it (:mod:`fetchall.transport.judging`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from fetchall.models import ErrorKind, FetchError, Job, Response, Result, result_for
from fetchall.options import Options
from fetchall.shown import redact
from fetchall.statuses import AcceptedStatuses
from fetchall.transport import TRIES
from fetchall.transport.attempt import AttemptFailed, seen_of
from fetchall.transport.body import read_body, receive
from fetchall.transport.errors import error_for
from fetchall.transport.headers import first_request_headers, rules_of
from fetchall.transport.judging import (
    fail_unless_met,
    plan_of,
    receive_judged,
    warned_result,
    warnings_of,
)
from fetchall.transport.limits import RequestBounds, Share
from fetchall.transport.redirects import aiohttp_max_redirects, redirect_hook
from fetchall.transport.retrying import delay_before_next_try, parse_retry_after
from fetchall.transport.sessions import Sessions
from fetchall.urls import url_to_fetch

if TYPE_CHECKING:
    from fetchall.checks import Check, CheckOutcome, CheckPlan
    from fetchall.options.warn_on import WarnOn
    from fetchall.saving import BodyStore

log = logging.getLogger("fetchall")


_Answer = tuple[Response, "tuple[CheckOutcome, ...] | None"]
"""What one attempt saw, and how the job's checks went on it (None without checks)."""

_BODY_ERRORS = (AttemptFailed, TimeoutError, aiohttp.ClientError, OSError, ValueError)
"""What reading a body may raise: the body was too large, slow or cut short."""


class Fetcher:
    """Fetches jobs with one shared session under the run's bounds (its ``share`` of them
    when it is one of several, under ``--workers``; by default all). Use as ``async with``."""

    def __init__(
        self, options: Options, store: BodyStore | None = None, *, share: Share | None = None
    ) -> None:
        self._options = options
        self._store = store
        self._share = share or Share.whole(options)
        self._bounds = RequestBounds.of(options, self._share)
        # --wait counts from the start of the run: the coordinator's clock for a worker.
        self._wait_until = None if options.wait is None else self._share.origin + options.wait
        self._timeout = aiohttp.ClientTimeout(
            total=options.timeout, sock_connect=options.connect_timeout
        )
        # Asked only of a final failure: a run without --warn-on has nothing more to do.
        self._warn_on = None if options.strict else options.warn_on
        self._follow = options.max_redirects > 0
        self._rules = rules_of(options)
        self._headers = first_request_headers(options, self._rules)
        self._max_redirects = aiohttp_max_redirects(options)
        self._sessions: Sessions | None = None
        self._plain: aiohttp.ClientSession  # the session most requests use, once entered

    async def __aenter__(self) -> Self:
        hook = redirect_hook(self._bounds, self._options.rate)
        self._sessions = await Sessions(self._options, hook, self._share).__aenter__()
        self._plain = self._sessions.plain
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._sessions is not None, "entered: __aenter__ opened them"
        await self._sessions.__aexit__(exc_type, exc, tb)

    async def fetch(self, job: Job, save_as: PurePosixPath | None = None) -> Result:
        """Fetch ``job`` with retries; every outcome but cancellation is a :class:`Result`.

        With a body store, the body's path is claimed now (so paths follow the order jobs
        start in), unless the caller has claimed it already as ``save_as``.
        """
        started = time.monotonic()
        url = url_to_fetch(job)
        if isinstance(url, Result):
            return url
        if self._store is not None and save_as is None:
            save_as = self._store.claim(url)
        bounds = self._bounds
        attempts = 0
        try:
            while True:
                attempts += 1
                try:
                    # One attempt waits for its bounds, if any, then sends; without bounds
                    # (the usual case) nothing stands between: this runs once per request.
                    if bounds is None:
                        response, outcomes = await self._send(url, save_as, job.checks)
                    else:
                        async with bounds.held(url.host or ""):
                            response, outcomes = await self._send(url, save_as, job.checks)
                except AttemptFailed as failure:
                    delay = _delay_before_next_try(
                        self._options, self._wait_until, job, attempts, failure
                    )
                    if delay is None:
                        return _final_failure(job, failure, self._warn_on, attempts, started)
                    await asyncio.sleep(delay)
                    continue
                elapsed_ms = _ms_since(started)
                # Only a job with checks can pass with a warning from them.
                warnings = None if outcomes is None else warnings_of(outcomes)
                return result_for(
                    job,
                    response=response,
                    attempts=attempts,
                    elapsed_ms=elapsed_ms,
                    checks=outcomes,
                    warnings=warnings,
                )
        except asyncio.CancelledError:
            # Stopped by the deadline or cancelled: the engine reports what was done so far.
            if (tries := TRIES.get(None)) is not None:
                tries.attempts, tries.elapsed_ms = attempts, _ms_since(started)
            raise

    async def _send(
        self, url: URL, save_as: PurePosixPath | None, checks: tuple[Check, ...]
    ) -> _Answer:
        assert self._sessions is not None, "use Fetcher as an async context manager"
        options = self._options
        plan = plan_of(checks, strict=options.strict) if checks else None
        sent = time.monotonic() if plan is not None else 0.0  # for the elapsed check
        noting = plan is not None and plan.cert
        session = self._sessions.noting_certificates() if noting else self._plain
        try:
            async with session.request(
                options.method,
                url,
                headers=self._headers,
                middlewares=None if self._rules is None else (self._rules.middleware_for(url),),
                allow_redirects=self._follow,
                max_redirects=self._max_redirects,
                timeout=self._timeout,
            ) as response:
                accepted = _accepts(response.status, plan, options.accept)
                outcomes = None
                try:
                    if plan is not None:
                        seen, outcomes = await receive_judged(
                            response,
                            options=options,
                            store=self._store,
                            save_as=save_as if accepted else None,
                            checks=checks,
                            plan=plan,
                            sent=sent,
                        )
                    elif self._store is None:
                        # Most runs: the body is only counted (one coroutine: once per request).
                        seen = seen_of(response, await read_body(response, options.max_size))
                    else:
                        kept_as = save_as if accepted else None
                        seen = await receive(response, options.max_size, self._store, kept_as)
                except _BODY_ERRORS:
                    if accepted:
                        raise
                    # The status already failed the attempt: a body that is slow, too large
                    # or cut short does not turn a 404 into a timeout (nor make it retried).
                    response.close()
                    seen = seen_of(response, 0)
        except AttemptFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise AttemptFailed(error_for(exc, options.timeout)) from exc
        if not accepted:
            reason = f" {response.reason}" if response.reason else ""
            error = FetchError(ErrorKind.HTTP_STATUS, f"HTTP {seen.status}{reason}")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise AttemptFailed(error, seen, retry_after, outcomes)
        if outcomes is not None:
            fail_unless_met(seen, outcomes)
        return seen, outcomes


def _delay_before_next_try(
    options: Options, wait_until: float | None, job: Job, attempts: int, failure: AttemptFailed
) -> float | None:
    """Seconds until the next try (logged), or None when ``failure`` is final."""
    status = None if failure.response is None else failure.response.status
    delay = delay_before_next_try(
        options,
        attempts,
        failure.error,
        status,
        failure.retry_after,
        now=time.monotonic(),
        wait_until=wait_until,
    )
    if delay is not None:
        retries = options.retries
        of = f"{attempts}/{retries}" if attempts <= retries else f"{attempts} (--wait)"
        log.info("retry %s in %.2f s: %s (%s)", of, delay, redact(job.url), failure.error.message)
    return delay


def _final_failure(
    job: Job, failure: AttemptFailed, warn_on: WarnOn | None, attempts: int, started: float
) -> Result:
    """The result of a job whose last try failed: a warning when ``--warn-on`` names it."""
    elapsed_ms = _ms_since(started)
    if warn_on is not None:
        status = None if failure.response is None else failure.response.status
        if warn_on.covers(failure.error, status):
            return warned_result(job, failure, attempts=attempts, elapsed_ms=elapsed_ms)
    return result_for(
        job,
        response=failure.response,
        error=failure.error,
        attempts=attempts,
        elapsed_ms=elapsed_ms,
        checks=failure.outcomes,
    )


def _accepts(status: int, plan: CheckPlan | None, accept: AcceptedStatuses) -> bool:
    """Whether ``status`` counts as success: a job's ``status`` checks replace --accept."""
    if plan is None:
        return status in accept
    return plan.accepts(status, accept)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
