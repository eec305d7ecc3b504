"""Fetch one job: attempts, retries, redirects, body limits, and the one place where aiohttp's
exceptions become fetchall's error kinds.

A :class:`Fetcher` owns the run's single ``aiohttp.ClientSession``. Redirects are followed by
aiohttp itself (asked for N+1 so that it follows the contract's N); its redirect trace hook
paces every hop after the first through ``--rate``. The first request of each attempt is
paced before the attempt's timeout starts, so that waiting in a long queue for the pacer
never eats into ``--timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import random
import ssl
import time
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp
from yarl import URL

from fetchall.limits import HostSlots, Pacer
from fetchall.models import ErrorKind, FetchError, Job, Result, failed_result
from fetchall.options import Options
from fetchall.urls import InvalidURL, parse_url, redact

if TYPE_CHECKING:
    from fetchall.saving import BodyStore, FileSink

log = logging.getLogger("fetchall")

RETRYABLE_KINDS = frozenset({ErrorKind.CONNECT, ErrorKind.PROTOCOL, ErrorKind.TIMEOUT})
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
_NO_BOUND = contextlib.nullcontext()


class FetchFailed(Exception):
    """Internal: one attempt failed; carries the error value and what was seen of the response."""

    def __init__(self, error: FetchError, response: _Response | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.response = response


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    final_url: str
    content_type: str | None
    bytes: int
    retry_after: float | None
    saved_to: str | None


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
        # Without retries the scheduler's slots, one per job, already bound the requests in
        # flight. With retries a job waiting out its backoff gives its request slot back, so
        # the bound is taken here, per attempt.
        self._in_flight = asyncio.Semaphore(options.limit) if options.retries else _NO_BOUND
        self._hosts = HostSlots(options.per_host) if options.per_host else None
        self._pacer = None
        if options.rate:
            share, origin = pacer_share or ((0, 1), 0.0)
            self._pacer = Pacer(options.rate, share, origin)
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
            ssl=not options.insecure,
        )
        headers = {"User-Agent": options.user_agent}
        session = aiohttp.ClientSession(
            connector=connector,
            headers=headers,
            trace_configs=traces,
            # HTTP_PROXY, HTTPS_PROXY and NO_PROXY (contract §6). aiohttp consults them on every
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
        url = _checked_url(job)
        if isinstance(url, Result):
            return url
        if self._store is not None and save_as is None:
            save_as = self._store.claim(url)
        attempts = 0
        while True:
            attempts += 1
            try:
                response = await self._attempt(url, save_as)
            except FetchFailed as failure:
                if attempts > self._options.retries or not _retryable(failure):
                    return _failure(job, failure, attempts, started)
                delay = self._backoff(attempts, failure.response)
                log.info(
                    "retry %d/%d in %.2f s: %s (%s)",
                    attempts,
                    self._options.retries,
                    delay,
                    redact(job.url),
                    failure.error.message,
                )
                await asyncio.sleep(delay)
                continue
            return Result(
                url=redact(job.url),
                index=job.index,
                source=job.source,
                ok=True,
                status=response.status,
                final_url=response.final_url,
                bytes=response.bytes,
                elapsed_ms=_ms_since(started),
                attempts=attempts,
                content_type=response.content_type,
                saved_to=response.saved_to,
                error=None,
            )

    def _backoff(self, attempts: int, response: _Response | None) -> float:
        """Exponential backoff with "equal jitter", never shorter than a ``Retry-After``."""
        base = self._options.retry_backoff * 2.0 ** (attempts - 1)
        delay = base / 2 + random.uniform(0, base / 2)
        if response is not None and response.retry_after is not None:
            delay = max(delay, response.retry_after)
        return delay

    def _attempt(self, url: URL, save_as: PurePosixPath | None) -> Awaitable[_Response]:
        """One attempt: wait for the bounds, send, follow redirects, read the body.

        Without bounds to wait for (the usual case) the request is sent directly, with no
        coroutine in between: this runs once per request.
        """
        if self._hosts is None and self._in_flight is _NO_BOUND and self._pacer is None:
            return self._send(url, save_as)
        return self._bounded_send(url, save_as)

    async def _bounded_send(self, url: URL, save_as: PurePosixPath | None) -> _Response:
        async with AsyncExitStack() as bounds:
            if self._hosts is not None:
                await bounds.enter_async_context(self._hosts.hold(url.host or ""))
            await bounds.enter_async_context(self._in_flight)
            if self._pacer is not None:
                await self._pacer.wait()
            return await self._send(url, save_as)

    async def _send(self, url: URL, save_as: PurePosixPath | None) -> _Response:
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
        except FetchFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise FetchFailed(error_for(exc, self._options.timeout)) from exc
        if seen.status not in options.accept:
            reason = f" {response.reason}" if response.reason else ""
            message = f"HTTP {seen.status}{reason}"
            raise FetchFailed(FetchError(ErrorKind.HTTP_STATUS, message), seen)
        return seen

    async def _receive(
        self, response: aiohttp.ClientResponse, save_as: PurePosixPath | None
    ) -> _Response:
        """Read the response's body (to disk when it is accepted and saved)."""
        status = response.status
        # Bodies are laid out by the URL as given, so users can find them from their list.
        sink = None
        if self._store is not None and save_as is not None and status in self._options.accept:
            sink = self._store.open(save_as)
        saved_to = None
        try:
            size = await self._read_body(response, sink, status)
            saved_to = sink.commit() if sink is not None else None
        finally:
            # Failed, timed out or cancelled (CancelledError passes on): no file stays.
            if sink is not None and saved_to is None:
                sink.discard()
        return _Response(
            status=status,
            final_url=redact(str(response.url)),
            content_type=response.headers.get("Content-Type"),
            bytes=size,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            saved_to=saved_to,
        )

    async def _read_body(
        self, response: aiohttp.ClientResponse, sink: FileSink | None, status: int
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
            else:
                return size
        response.close()  # drop the connection rather than drain a body nobody wants
        seen = _Response(
            status=status,
            final_url=redact(str(response.url)),
            content_type=response.headers.get("Content-Type"),
            bytes=size,
            retry_after=None,
            saved_to=None,
        )
        message = _too_large(limit or 0, declared if size == 0 else None)
        raise FetchFailed(FetchError(ErrorKind.TOO_LARGE, message), seen)

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
        if self._pacer is not None:
            # The next hop is a request too, and --rate counts every request sent.
            await self._pacer.wait()


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")


def _proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)


def invalid_result(job: Job) -> Result | None:
    """The ``invalid_url`` result for a job that cannot be fetched, or None if it can."""
    checked = _checked_url(job)
    return checked if isinstance(checked, Result) else None


def _checked_url(job: Job) -> URL | Result:
    """The URL to fetch for ``job``, or its ``invalid_url`` result."""
    try:
        if job.problem is not None:
            raise InvalidURL(job.problem)
        return parse_url(job.url)
    except InvalidURL as exc:
        return failed_result(job, FetchError(ErrorKind.INVALID_URL, f"{job.source} {exc}"))


def _retryable(failure: FetchFailed) -> bool:
    error = failure.error
    if error.kind is ErrorKind.HTTP_STATUS:
        return failure.response is not None and failure.response.status in RETRYABLE_STATUSES
    return error.kind in RETRYABLE_KINDS


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped at 60."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = float(when.timestamp() - time.time())
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _too_large(limit: int, declared: int | None) -> str:
    if declared is not None:
        return f"body of {declared} bytes is over --max-size {limit}"
    return f"body is over --max-size {limit} bytes"


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _failure(job: Job, failure: FetchFailed, attempts: int, started: float) -> Result:
    response = failure.response
    result = failed_result(job, failure.error, attempts=attempts, elapsed_ms=_ms_since(started))
    if response is None:
        return result
    return Result(
        url=result.url,
        index=job.index,
        source=job.source,
        ok=False,
        status=response.status,
        final_url=response.final_url,
        bytes=response.bytes,
        elapsed_ms=result.elapsed_ms,
        attempts=attempts,
        content_type=response.content_type,
        saved_to=None,
        error=failure.error,
    )


def error_for(exc: BaseException, timeout: float | None = None) -> FetchError:
    """The fetchall error for an exception raised while fetching (contract §7).

    ``timeout`` is the attempt's ``--timeout``, named in the message of a timeout.
    """
    kind, message = _classify(exc, timeout)
    return FetchError(kind, message)


def _classify(exc: BaseException, timeout: float | None) -> tuple[ErrorKind, str]:
    # Order matters: aiohttp's classes inherit from one another and from OSError/TimeoutError.
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT, _timeout_message(exc, timeout)
    if isinstance(exc, aiohttp.TooManyRedirects):
        return ErrorKind.TOO_MANY_REDIRECTS, f"more than {len(exc.history) - 1} redirects"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, f"cannot resolve host {exc.host}"
    if isinstance(
        exc,
        aiohttp.ClientConnectorCertificateError
        | aiohttp.ClientSSLError
        | aiohttp.ServerFingerprintMismatch,
    ):
        return ErrorKind.TLS, _oneline(exc)
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return ErrorKind.TLS, _oneline(exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = os.strerror(exc.errno) if exc.errno else _oneline(exc)
        return ErrorKind.CONNECT, f"cannot connect to {exc.host}:{exc.port}: {reason}"
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return ErrorKind.CONNECT, f"the proxy answered {exc.status} {exc.message}".strip()
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return ErrorKind.INVALID_URL, f"redirect to an unusable URL: {redact(str(exc))}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ErrorKind.PROTOCOL, "server closed the connection without a complete response"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorKind.PROTOCOL, f"body cut short: {_oneline(exc)}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return ErrorKind.PROTOCOL, f"malformed response: {exc.message}"
    if isinstance(exc, aiohttp.ClientOSError | ConnectionError):
        return ErrorKind.PROTOCOL, f"connection broken: {_oneline(exc)}"
    if isinstance(exc, OSError):
        return ErrorKind.CONNECT, _oneline(exc)
    return ErrorKind.PROTOCOL, _oneline(exc)


def _timeout_message(exc: BaseException, timeout: float | None) -> str:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connect timed out"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return "read timed out"
    return "timed out" if timeout is None else f"timed out after {timeout:.1f} s"


def _oneline(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())
