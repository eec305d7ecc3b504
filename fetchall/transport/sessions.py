"""The run's aiohttp sessions over one connection pool.

Every request goes through one ``TCPConnector``, so keep-alive connections are shared however
a request is sent. Jobs with a ``cert`` check go through a second session over the same pool
whose responses note the certificate of the connection that served them, when they start; it
is made only when a first such job comes, so other runs pay nothing for it.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from types import SimpleNamespace, TracebackType
from typing import Any, Self

import aiohttp

from fetchall.options import Options
from fetchall.transport.limits import Share
from fetchall.transport.tls import ssl_context_for

RedirectHook = Callable[
    [aiohttp.ClientSession, SimpleNamespace, aiohttp.TraceRequestRedirectParams], Awaitable[None]
]

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")


class CertificateNotingResponse(aiohttp.ClientResponse):
    """A response that notes when the certificate of its connection expires.

    aiohttp gives a finished response's connection back to the pool at once (a small body
    arrives with the headers), so the certificate is read in :meth:`start`, while the
    connection, new or kept alive, is this response's.
    """

    cert_expires: datetime | None = None
    """None for plain http, and for a certificate that was not verified (``--insecure``):
    Python hands over no details of those."""

    async def start(self, connection: aiohttp.connector.Connection) -> Self:
        """Note the certificate, then read the status line and headers as aiohttp does."""
        transport = connection.transport
        tls = None if transport is None else transport.get_extra_info("ssl_object")
        if isinstance(tls, ssl.SSLObject | ssl.SSLSocket):
            not_after = (tls.getpeercert() or {}).get("notAfter")
            if isinstance(not_after, str):
                self.cert_expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
        await super().start(connection)
        return self


class Sessions:
    """The sessions of one run; use as ``async with``."""

    def __init__(self, options: Options, on_redirect: RedirectHook | None, share: Share) -> None:
        self._options = options
        self._share = share
        self._on_redirect = on_redirect
        self._stack = AsyncExitStack()
        self._connector: aiohttp.TCPConnector | None = None
        self._plain: aiohttp.ClientSession | None = None
        self._noting: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        # Sized by the fetcher's share of the bounds, which says why.
        limit, limit_per_host = self._share.connection_pool()
        self._connector = aiohttp.TCPConnector(
            limit=limit, limit_per_host=limit_per_host, ssl=ssl_context_for(self._options)
        )
        self._stack.push_async_callback(self._connector.close)
        self._plain = self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    @property
    def plain(self) -> aiohttp.ClientSession:
        """The session most requests use."""
        assert self._plain is not None, "use Sessions as an async context manager"
        return self._plain

    def noting_certificates(self) -> aiohttp.ClientSession:
        """The session whose responses are :class:`CertificateNotingResponse`."""
        if self._noting is None:
            self._noting = self._open(response_class=CertificateNotingResponse)
        return self._noting

    def _open(self, **extra: Any) -> aiohttp.ClientSession:
        traces = []
        if self._on_redirect is not None:
            trace = aiohttp.TraceConfig()
            trace.on_request_redirect.append(self._on_redirect)
            traces.append(trace)
        session = aiohttp.ClientSession(
            connector=self._connector,
            connector_owner=False,
            headers={"User-Agent": self._options.user_agent},
            # No cookie is kept: a Set-Cookie from one job would otherwise reach the next jobs
            # on that host, and a result would depend on --limit and on which finished first.
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=traces,
            # HTTP_PROXY, HTTPS_PROXY and NO_PROXY are honoured. aiohttp consults them on every
            # request, which costs more than the request itself on a fast server, so only
            # when one is set.
            trust_env=_proxy_configured(),
            auto_decompress=True,
            **extra,
        )
        self._stack.push_async_callback(session.close)
        return session


def _proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)
