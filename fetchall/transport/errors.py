"""The one place where exceptions raised while fetching become fetchall's error kinds.

The translation is a table read top to bottom, first match wins. Order matters: aiohttp's
exception classes inherit from one another and from ``OSError``/``TimeoutError``, so the more
specific rows come first.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

import aiohttp

from fetchall.models import ErrorKind, FetchError
from fetchall.shown import redact
from fetchall.transport.redirects import redirects_allowed

Describe = Callable[[BaseException, float | None], str]
"""Builds the message from the exception and the attempt's ``--timeout``."""


def _oneline(exc: BaseException | str, _timeout: float | None = None) -> str:
    text = exc if isinstance(exc, str) else str(exc) or type(exc).__name__
    return " ".join(text.split())


def _timed_out(exc: BaseException, timeout: float | None) -> str:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connect timed out"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return "read timed out"
    return "timed out" if timeout is None else f"timed out after {timeout:.1f} s"


def _redirects(exc: BaseException, _timeout: float | None) -> str:
    assert isinstance(exc, aiohttp.TooManyRedirects)
    return f"more than {redirects_allowed(exc.history)} redirects"


def _unresolved(exc: BaseException, _timeout: float | None) -> str:
    assert isinstance(exc, aiohttp.ClientConnectorDNSError)
    return f"cannot resolve host {exc.host}"


def _refused(exc: BaseException, _timeout: float | None) -> str:
    assert isinstance(exc, aiohttp.ClientConnectorError)
    reason = os.strerror(exc.errno) if exc.errno else _oneline(exc)
    return f"cannot connect to {exc.host}:{exc.port}: {reason}"


def _proxy(exc: BaseException, _timeout: float | None) -> str:
    assert isinstance(exc, aiohttp.ClientHttpProxyError)
    return f"the proxy answered {exc.status} {exc.message}".strip()


def _malformed(exc: BaseException, _timeout: float | None) -> str:
    assert isinstance(exc, aiohttp.ClientResponseError)
    return f"malformed response: {_oneline(exc.message)}"


def _is_tls(exc: BaseException) -> bool:
    # aiohttp wraps some handshake failures in plain connection errors; the cause tells.
    return isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError)


Row = tuple[
    type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool],
    ErrorKind,
    Describe,
]

TABLE: tuple[Row, ...] = (
    (TimeoutError, ErrorKind.TIMEOUT, _timed_out),
    (aiohttp.TooManyRedirects, ErrorKind.TOO_MANY_REDIRECTS, _redirects),
    (aiohttp.ClientConnectorDNSError, ErrorKind.DNS, _unresolved),
    (
        (
            aiohttp.ClientConnectorCertificateError,
            aiohttp.ClientSSLError,
            aiohttp.ServerFingerprintMismatch,
        ),
        ErrorKind.TLS,
        _oneline,
    ),
    (_is_tls, ErrorKind.TLS, _oneline),
    (aiohttp.ClientConnectorError, ErrorKind.CONNECT, _refused),
    (aiohttp.ClientHttpProxyError, ErrorKind.CONNECT, _proxy),
    (
        (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError),
        ErrorKind.INVALID_URL,
        lambda exc, _: f"redirect to an unusable URL: {redact(str(exc))}",
    ),
    (
        aiohttp.ServerDisconnectedError,
        ErrorKind.PROTOCOL,
        lambda _exc, _t: "server closed the connection without a complete response",
    ),
    (
        aiohttp.ClientPayloadError,
        ErrorKind.PROTOCOL,
        lambda exc, _: f"body cut short: {_oneline(exc)}",
    ),
    (aiohttp.ClientResponseError, ErrorKind.PROTOCOL, _malformed),
    (
        (aiohttp.ClientOSError, ConnectionError),
        ErrorKind.PROTOCOL,
        lambda exc, _: f"connection broken: {_oneline(exc)}",
    ),
    (OSError, ErrorKind.CONNECT, _oneline),
)
"""Exception class (or a test on the exception), the kind it means, how to word it."""


def error_for(exc: BaseException, timeout: float | None = None) -> FetchError:
    """The fetchall error for an exception raised while fetching.

    ``timeout`` is the attempt's ``--timeout``, named in the message of a timeout. Anything
    the table does not name is a ``protocol`` error: the server said something we cannot use.
    """
    for matches, kind, describe in TABLE:
        if isinstance(matches, type | tuple):
            if isinstance(exc, matches):
                return FetchError(kind, describe(exc, timeout))
        elif matches(exc):
            return FetchError(kind, describe(exc, timeout))
    return FetchError(ErrorKind.PROTOCOL, _oneline(exc))
