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
import os
import time
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from pathlib import PurePosixPath
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from fetchall.errors import error_for
from fetchall.limits import RequestBounds
from fetchall.models import ErrorKind, FetchError, Job, Response, Result, result_for
from fetchall.options import Options
from fetchall.retrying import delay_before_next_try, parse_retry_after
from fetchall.shown import redact
from fetchall.tls import ssl_context_for
from fetchall.urls import url_to_fetch

if TYPE_CHECKING:
    from fetchall.saving import BodyStore, FileSink

log = logging.getLogger("fetchall")


class _AttemptFailed(Exception):
    """One attempt failed; carries the error value and what was seen of the response."""

    def __init__(
        self, error: FetchError, response: Response | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.response = response
        self.retry_after = retry_after


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
        self._stack = AsyncExitStack()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        options = self._options
        traces = []
        # Tracing costs a little on every request: only when a hop needs pacing or logging.
        if options.rate is not None or log.isEnabledFor(logging.INFO):
            trace = aiohttp.TraceConfig()
            trace.on_request_redirect.append(self._on_request_redirect)
            traces.append(trace)
        connector = aiohttp.TCPConnector(
            # Our own semaphore already bounds requests; the connector bounds sockets the same
            # way so that a redirect hop can never open one more connection than allowed.
            limit=options.limit,
            limit_per_host=options.per_host or 0,
            ssl=ssl_context_for(options),
        )
        headers = {"User-Agent": options.user_agent}
        session = aiohttp.ClientSession(
            connector=connector,
            headers=headers,
            trace_configs=traces,
            # HTTP_PROXY, HTTPS_PROXY and NO_PROXY are honoured. aiohttp consults them on every
            # request, which costs more than the request itself on a fast server, so only
            # when one is set.
            trust_env=_proxy_configured(),
            auto_decompress=True,
        )
        self._session = await self._stack.enter_async_context(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

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
                response = await self._attempt(url, save_as)
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
                    )
                retries = self._options.retries
                of = f"{attempts}/{retries}" if attempts <= retries else f"{attempts} (--wait)"
                log.info(
                    "retry %s in %.2f s: %s (%s)",
                    *(of, delay, redact(job.url), failure.error.message),
                )
                await asyncio.sleep(delay)
                continue
            return result_for(
                job, response=response, attempts=attempts, elapsed_ms=_ms_since(started)
            )

    def _attempt(self, url: URL, save_as: PurePosixPath | None) -> Awaitable[Response]:
        """One attempt: wait for the bounds, send, follow redirects, read the body.

        Without bounds to wait for (the usual case) the request is sent directly, with no
        coroutine in between: this runs once per request.
        """
        if self._bounds is None:
            return self._send(url, save_as)
        return self._bounded_send(self._bounds, url, save_as)

    async def _bounded_send(
        self, bounds: RequestBounds, url: URL, save_as: PurePosixPath | None
    ) -> Response:
        async with bounds.held(url.host or ""):
            return await self._send(url, save_as)

    async def _send(self, url: URL, save_as: PurePosixPath | None) -> Response:
        assert self._session is not None, "use Fetcher as an async context manager"
        options = self._options
        try:
            async with self._session.request(
                options.method,
                url,
                headers=options.headers or None,
                allow_redirects=options.max_redirects > 0,
                # aiohttp fails once the redirects received reach max_redirects, so N+1 lets
                # the contract's N hops through and fails on one more.
                max_redirects=options.max_redirects + 1,
                timeout=self._timeout,
            ) as response:
                seen = await self._receive(response, save_as)
        except _AttemptFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise _AttemptFailed(error_for(exc, self._options.timeout)) from exc
        if seen.status not in options.accept:
            reason = f" {response.reason}" if response.reason else ""
            error = FetchError(ErrorKind.HTTP_STATUS, f"HTTP {seen.status}{reason}")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _AttemptFailed(error, seen, retry_after)
        return seen

    async def _receive(
        self, response: aiohttp.ClientResponse, save_as: PurePosixPath | None
    ) -> Response:
        """Read the response's body (to disk when it is accepted and saved)."""
        status = response.status
        # Bodies are laid out by the URL as given, so users can find them from their list.
        sink = None
        if self._store is not None and save_as is not None and status in self._options.accept:
            sink = self._store.open(save_as)
        saved_to = None
        try:
            size = await self._read_body(response, sink)
            saved_to = sink.commit() if sink is not None else None
        finally:
            # Failed, timed out or cancelled (CancelledError passes on): no file stays.
            if sink is not None and saved_to is None:
                sink.discard()
        return _seen(response, size, saved_to)

    async def _read_body(self, response: aiohttp.ClientResponse, sink: FileSink | None) -> int:
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


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")


def _proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)


def _seen(response: aiohttp.ClientResponse, size: int, saved_to: str | None = None) -> Response:
    return Response(
        status=response.status,
        final_url=redact(str(response.url)),
        content_type=response.headers.get("Content-Type"),
        bytes=size,
        saved_to=saved_to,
    )


def _too_large(limit: int, declared: int | None) -> str:
    if declared is not None:
        return f"body of {declared} bytes is over --max-size {limit}"
    return f"body is over --max-size {limit} bytes"


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
