"""Fetch one job in this process: the session, the attempt loop, redirects and the body.

A :class:`Fetcher` owns the run's single ``aiohttp.ClientSession``. Redirects are followed by
aiohttp itself (asked for N+1 so that it follows at most ``--max-redirects`` N); its redirect
trace hook paces every hop after the first through ``--rate``. The first request of each attempt is
paced before the attempt's timeout starts, so that waiting in a long queue for the pacer
never eats into ``--timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from pathlib import PurePosixPath
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from fetchall.models import ErrorKind, FetchError, Job, Response, Result, result_for
from fetchall.options import Options
from fetchall.shown import redact
from fetchall.transport.errors import error_for
from fetchall.transport.limits import RequestBounds
from fetchall.transport.retrying import delay_before_next_try, parse_retry_after
from fetchall.transport.sessions import CertificateNotingResponse, Sessions
from fetchall.urls import url_to_fetch

if TYPE_CHECKING:
    from fetchall.checks import Check, CheckOutcome, CheckPlan
    from fetchall.saving import BodyStore, FileSink

log = logging.getLogger("fetchall")


_Answer = tuple[Response, "tuple[CheckOutcome, ...] | None"]
"""What one attempt saw, and how the job's checks went on it (None without checks)."""


class _AttemptFailed(Exception):
    """One attempt failed; carries the error value and what was seen of the response."""

    def __init__(
        self,
        error: FetchError,
        response: Response | None = None,
        retry_after: float | None = None,
        outcomes: tuple[CheckOutcome, ...] | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.response = response
        self.retry_after = retry_after
        self.outcomes = outcomes


class Fetcher:
    """Fetches jobs with one shared session under the run's bounds. Use as ``async with``."""

    def __init__(
        self,
        options: Options,
        store: BodyStore | None = None,
        *,
        pacer_share: tuple[tuple[int, int], float] | None = None,
    ) -> None:
        self._options = options
        self._store = store
        share, origin = pacer_share or ((0, 1), time.monotonic())
        self._bounds = RequestBounds.of(options, (share, origin))
        # --wait counts from the start of the run: the coordinator's clock for a worker.
        self._wait_until = None if options.wait is None else origin + options.wait
        self._timeout = aiohttp.ClientTimeout(
            total=options.timeout, sock_connect=options.connect_timeout
        )
        self._sessions: Sessions | None = None
        self._plain: aiohttp.ClientSession  # the session most requests use, once entered
        self._counts_only = store is None and options.max_size is None

    async def __aenter__(self) -> Self:
        # Tracing costs a little on every request: only when a hop needs pacing or logging.
        traced = self._options.rate is not None or log.isEnabledFor(logging.INFO)
        hook = self._on_request_redirect if traced else None
        self._sessions = await Sessions(self._options, hook).__aenter__()
        self._plain = self._sessions.plain
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sessions is not None:
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
        attempts = 0
        while True:
            attempts += 1
            try:
                response, outcomes = await self._attempt(url, save_as, job.checks)
            except _AttemptFailed as failure:
                status = None if failure.response is None else failure.response.status
                delay = delay_before_next_try(
                    self._options,
                    attempts,
                    failure.error,
                    status,
                    failure.retry_after,
                    now=time.monotonic(),
                    wait_until=self._wait_until,
                )
                if delay is None:
                    return result_for(
                        job,
                        response=failure.response,
                        error=failure.error,
                        attempts=attempts,
                        elapsed_ms=_ms_since(started),
                        checks=failure.outcomes,
                    )
                retries = self._options.retries
                of = f"{attempts}/{retries}" if attempts <= retries else f"{attempts} (--wait)"
                log.info(
                    "retry %s in %.2f s: %s (%s)",
                    *(of, delay, redact(job.url), failure.error.message),
                )
                await asyncio.sleep(delay)
                continue
            elapsed_ms = _ms_since(started)
            return result_for(
                job, response=response, attempts=attempts, elapsed_ms=elapsed_ms, checks=outcomes
            )

    def _attempt(
        self, url: URL, save_as: PurePosixPath | None, checks: tuple[Check, ...]
    ) -> Awaitable[_Answer]:
        """One attempt: wait for the bounds, send, follow redirects, read the body.

        Without bounds to wait for (the usual case) the request is sent directly, with no
        coroutine in between: this runs once per request.
        """
        if self._bounds is None:
            return self._send(url, save_as, checks)
        return self._bounded_send(self._bounds, url, save_as, checks)

    async def _bounded_send(
        self,
        bounds: RequestBounds,
        url: URL,
        save_as: PurePosixPath | None,
        checks: tuple[Check, ...],
    ) -> _Answer:
        async with bounds.held(url.host or ""):
            return await self._send(url, save_as, checks)

    async def _send(
        self, url: URL, save_as: PurePosixPath | None, checks: tuple[Check, ...]
    ) -> _Answer:
        assert self._sessions is not None, "use Fetcher as an async context manager"
        options = self._options
        plan = _plan_of(checks) if checks else None
        sent = time.monotonic() if plan is not None else 0.0  # for the elapsed check
        noting = plan is not None and plan.cert
        session = self._sessions.noting_certificates() if noting else self._plain
        try:
            async with session.request(
                options.method,
                url,
                headers=options.headers or None,
                allow_redirects=options.max_redirects > 0,
                # aiohttp fails once the redirects received reach max_redirects, so N+1 lets
                # ``--max-redirects N``'s N hops through and fails on one more.
                max_redirects=options.max_redirects + 1,
                timeout=self._timeout,
            ) as response:
                try:
                    if plan is None and self._counts_only:
                        # Most runs: the body is only counted. Read here, not two coroutines
                        # down, since this runs once per request.
                        size = 0
                        async for chunk in response.content.iter_any():
                            size += len(chunk)
                        seen, outcomes = _seen(response, size), None
                    elif plan is None:
                        accepted = response.status in options.accept
                        seen, outcomes = await self._receive(response, save_as, accepted), None
                    else:
                        seen, outcomes = await self._receive_judged(
                            response, save_as, checks, plan, sent
                        )
                except (_AttemptFailed, TimeoutError, aiohttp.ClientError, OSError, ValueError):
                    if self._accepts(response.status, plan):
                        raise
                    # The status already failed the attempt: a body that is slow, too large
                    # or cut short does not turn a 404 into a timeout (nor make it retried).
                    response.close()
                    seen, outcomes = _seen(response, 0), None
        except _AttemptFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise _AttemptFailed(error_for(exc, self._options.timeout)) from exc
        if not self._accepts(seen.status, plan):
            reason = f" {response.reason}" if response.reason else ""
            error = FetchError(ErrorKind.HTTP_STATUS, f"HTTP {seen.status}{reason}")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _AttemptFailed(error, seen, retry_after, outcomes)
        if outcomes is not None:
            from fetchall.checks import failure_kind, failure_message  # noqa: PLC0415

            if failure_kind(outcomes) is not None:
                error = FetchError(ErrorKind.EXPECTATION, failure_message(outcomes))
                raise _AttemptFailed(error, seen, None, outcomes)
        return seen, outcomes

    def _accepts(self, status: int, plan: CheckPlan | None) -> bool:
        """Whether ``status`` counts as success: a job's ``status`` checks replace --accept."""
        if plan is None:
            return status in self._options.accept
        return plan.accepts(status, self._options.accept)

    async def _receive_judged(
        self,
        response: aiohttp.ClientResponse,
        save_as: PurePosixPath | None,
        checks: tuple[Check, ...],
        plan: CheckPlan,
        sent: float,
    ) -> tuple[Response, tuple[CheckOutcome, ...]]:
        """Read the response keeping what its checks need, and judge them on it."""
        # Checks (and jmespath) load with the first job that has any: start-up stays lean.
        from fetchall.checks import judge  # noqa: PLC0415
        from fetchall.transport.observing import observed_of  # noqa: PLC0415

        # The certificate is read while the connection that served the response is held.
        cert_expires = None
        if isinstance(response, CertificateNotingResponse):
            cert_expires = response.cert_expires
        body: list[bytes] | None = [] if plan.body else None
        accepted = self._accepts(response.status, plan)
        seen = await self._receive(response, save_as, accepted, body)
        observed = observed_of(
            response,
            seen,
            elapsed=time.monotonic() - sent,
            body=None if body is None else b"".join(body),
            cert_expires=cert_expires,
            tls_verified=not self._options.insecure,
            with_headers=plan.headers,
        )
        return seen, judge(checks, observed)

    async def _receive(
        self,
        response: aiohttp.ClientResponse,
        save_as: PurePosixPath | None,
        accepted: bool,
        kept: list[bytes] | None = None,
    ) -> Response:
        """Read the response's body (to disk when it is accepted and saved; into ``kept``,
        when given, for checks to read)."""
        # Bodies are laid out by the URL as given, so users can find them from their list.
        sink = None
        if self._store is not None and save_as is not None and accepted:
            sink = self._store.open(save_as)
        saved_to = None
        try:
            size = await self._read_body(response, sink, kept)
            saved_to = sink.commit() if sink is not None else None
        finally:
            # Failed, timed out or cancelled (CancelledError passes on): no file stays.
            if sink is not None and saved_to is None:
                sink.discard()
        return _seen(response, size, saved_to)

    async def _read_body(
        self, response: aiohttp.ClientResponse, sink: FileSink | None, kept: list[bytes] | None
    ) -> int:
        """Read the whole body, stopping at once past ``--max-size``; return its length."""
        limit = self._options.max_size
        declared = response.content_length
        size = 0
        if limit is None or declared is None or declared <= limit:
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if limit is not None and size > limit:
                    break
                if sink is not None:
                    sink.write(chunk)
                if kept is not None:
                    kept.append(chunk)
            else:
                return size
        response.close()  # drop the connection rather than drain a body nobody wants
        message = _too_large(limit or 0, declared if size == 0 else None)
        raise _AttemptFailed(FetchError(ErrorKind.TOO_LARGE, message), _seen(response, size))

    async def _on_request_redirect(
        self,
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestRedirectParams,
    ) -> None:
        location = params.response.headers.get("Location", "")
        log.info(
            "redirect %d: %s -> %s",
            params.response.status,
            redact(str(params.url)),
            redact(location),
        )
        if self._bounds is not None:
            await self._bounds.pace_next_hop()


def _plan_of(checks: tuple[Check, ...]) -> CheckPlan:
    from fetchall.checks import plan_of  # noqa: PLC0415 (only for jobs with checks)

    return plan_of(checks)


def _seen(response: aiohttp.ClientResponse, size: int, saved_to: str | None = None) -> Response:
    # Positional: this runs once per request.
    content_type = response.headers.get("Content-Type")
    return Response(response.status, redact(str(response.url)), content_type, size, saved_to)


def _too_large(limit: int, declared: int | None) -> str:
    if declared is not None:
        return f"body of {declared} bytes is over --max-size {limit}"
    return f"body is over --max-size {limit} bytes"


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
