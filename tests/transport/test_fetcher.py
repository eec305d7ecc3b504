"""The fetcher alone: every aiohttp error has a kind, and attempts follow the retry rules.

These are unit tests on mocked responses (aioresponses); what needs real sockets is tested
against the local fault server in test_faults.py and test_engine.py.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections.abc import Callable
from types import SimpleNamespace

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from fetchall import ErrorKind, Job, Options, Result
from fetchall.transport.errors import error_for
from fetchall.transport.fetcher import Fetcher

URL_TEXT = "http://mocked.test/x"
REQUEST_INFO = aiohttp.RequestInfo(
    URL(URL_TEXT), "GET", CIMultiDictProxy(CIMultiDict()), URL(URL_TEXT)
)
CONNECTION = SimpleNamespace(host="mocked.test", port=80, ssl=True, is_ssl=False)
REFUSED = ConnectionRefusedError(111, "Connection refused")

# Every exception class aiohttp exports that a fetch can raise, with the kind it must map to.
# A new class in a later aiohttp fails test_every_exported_error_is_mapped until it is added.
EXPECTED: dict[str, tuple[Callable[[], BaseException], ErrorKind]] = {
    "ClientError": (lambda: aiohttp.ClientError("x"), ErrorKind.PROTOCOL),
    "ClientConnectionError": (lambda: aiohttp.ClientConnectionError("x"), ErrorKind.PROTOCOL),
    "ClientConnectionResetError": (
        lambda: aiohttp.ClientConnectionResetError("reset"),
        ErrorKind.PROTOCOL,
    ),
    "ClientOSError": (lambda: aiohttp.ClientOSError(104, "reset"), ErrorKind.PROTOCOL),
    "ClientConnectorError": (
        lambda: aiohttp.ClientConnectorError(CONNECTION, REFUSED),  # type: ignore[arg-type]
        ErrorKind.CONNECT,
    ),
    "ClientProxyConnectionError": (
        lambda: aiohttp.ClientProxyConnectionError(CONNECTION, REFUSED),  # type: ignore[arg-type]
        ErrorKind.CONNECT,
    ),
    "ClientConnectorDNSError": (
        lambda: aiohttp.ClientConnectorDNSError(CONNECTION, OSError(-2, "Name unknown")),  # type: ignore[arg-type]
        ErrorKind.DNS,
    ),
    "ClientSSLError": (
        lambda: aiohttp.ClientSSLError(CONNECTION, ssl.SSLError("bad")),  # type: ignore[arg-type]
        ErrorKind.TLS,
    ),
    "ClientConnectorSSLError": (
        lambda: aiohttp.ClientConnectorSSLError(CONNECTION, ssl.SSLError("bad")),  # type: ignore[arg-type]
        ErrorKind.TLS,
    ),
    "ClientConnectorCertificateError": (
        lambda: aiohttp.ClientConnectorCertificateError(
            CONNECTION,  # type: ignore[arg-type]
            ssl.SSLCertVerificationError("self-signed"),
        ),
        ErrorKind.TLS,
    ),
    "ServerFingerprintMismatch": (
        lambda: aiohttp.ServerFingerprintMismatch(b"a", b"b", "mocked.test", 443),
        ErrorKind.TLS,
    ),
    "ServerConnectionError": (lambda: aiohttp.ServerConnectionError("x"), ErrorKind.PROTOCOL),
    "ServerDisconnectedError": (aiohttp.ServerDisconnectedError, ErrorKind.PROTOCOL),
    "ServerTimeoutError": (lambda: aiohttp.ServerTimeoutError("slow"), ErrorKind.TIMEOUT),
    "SocketTimeoutError": (lambda: aiohttp.SocketTimeoutError("slow"), ErrorKind.TIMEOUT),
    "ConnectionTimeoutError": (lambda: aiohttp.ConnectionTimeoutError("slow"), ErrorKind.TIMEOUT),
    "ClientPayloadError": (lambda: aiohttp.ClientPayloadError("short"), ErrorKind.PROTOCOL),
    "ClientResponseError": (
        lambda: aiohttp.ClientResponseError(REQUEST_INFO, (), status=400, message="bad"),
        ErrorKind.PROTOCOL,
    ),
    "ContentTypeError": (
        lambda: aiohttp.ContentTypeError(REQUEST_INFO, ()),
        ErrorKind.PROTOCOL,
    ),
    "ClientHttpProxyError": (
        lambda: aiohttp.ClientHttpProxyError(REQUEST_INFO, (), status=407, message="auth"),
        ErrorKind.CONNECT,
    ),
    "TooManyRedirects": (
        lambda: aiohttp.TooManyRedirects(REQUEST_INFO, (None, None, None)),  # type: ignore[arg-type]
        ErrorKind.TOO_MANY_REDIRECTS,
    ),
    "WSServerHandshakeError": (
        lambda: aiohttp.WSServerHandshakeError(REQUEST_INFO, ()),
        ErrorKind.PROTOCOL,
    ),
    "InvalidURL": (lambda: aiohttp.InvalidURL("x"), ErrorKind.INVALID_URL),
    "InvalidUrlClientError": (lambda: aiohttp.InvalidUrlClientError("x"), ErrorKind.INVALID_URL),
    "InvalidUrlRedirectClientError": (
        lambda: aiohttp.InvalidUrlRedirectClientError("x"),
        ErrorKind.INVALID_URL,
    ),
    "NonHttpUrlClientError": (lambda: aiohttp.NonHttpUrlClientError("x"), ErrorKind.INVALID_URL),
    "NonHttpUrlRedirectClientError": (
        lambda: aiohttp.NonHttpUrlRedirectClientError("ftp://x"),
        ErrorKind.INVALID_URL,
    ),
    "RedirectClientError": (lambda: aiohttp.RedirectClientError("x"), ErrorKind.PROTOCOL),
    "UploadAbortedError": (lambda: aiohttp.UploadAbortedError("x"), ErrorKind.PROTOCOL),
}


class TestErrorMapping:
    def test_every_exported_error_is_mapped(self) -> None:
        """Every ClientError subclass aiohttp exports has an expected kind here."""
        exported = {
            name
            for name in aiohttp.__all__
            if inspect.isclass(obj := getattr(aiohttp, name))
            and issubclass(obj, aiohttp.ClientError)
        }
        assert exported - set(EXPECTED) == set()

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_kind(self, name: str) -> None:
        """Each aiohttp error maps to its error kind, with a one-line message."""
        make, kind = EXPECTED[name]
        error = error_for(make(), timeout=30.0)
        assert error.kind is kind
        assert error.message
        assert "\n" not in error.message

    def test_plain_timeout_names_the_limit(self) -> None:
        """A whole-attempt timeout says how long the limit was."""
        assert error_for(TimeoutError(), timeout=2.5).message == "timed out after 2.5 s"

    def test_redirect_count_in_message(self) -> None:
        """too_many_redirects says how many were followed."""
        make, _ = EXPECTED["TooManyRedirects"]
        assert error_for(make()).message == "more than 2 redirects"


def fetch(options: Options, url: str = URL_TEXT) -> Result:
    async def main() -> Result:
        async with Fetcher(options) as fetcher:
            return await fetcher.fetch(Job(0, url, "arg"))

    return asyncio.run(main())


class TestMockedFailures:
    """Retry rules on mocked exceptions.

    aioresponses 0.7.9 cannot build mocked *responses* for aiohttp 3.14 (ClientResponse
    gained a required ``stream_writer`` argument), so statuses and bodies are tested against
    the real local server (test_faults.py); raised exceptions still mock fine.
    """

    def test_dns_failure_is_not_retried_and_has_its_kind(self) -> None:
        """A DNS failure is kind dns and is never retried."""
        make, _ = EXPECTED["ClientConnectorDNSError"]
        with aioresponses() as mock:
            mock.get(URL_TEXT, exception=make())
            mock.get(URL_TEXT, exception=TimeoutError())
            result = fetch(Options(retries=3, retry_backoff=0.001))
        assert result.error is not None
        assert (result.error.kind, result.attempts) == (ErrorKind.DNS, 1)

    def test_timeouts_are_retried_then_reported(self) -> None:
        """Three timeouts with --retries 2: three attempts, kind timeout, with the limit named."""
        with aioresponses() as mock:
            for _ in range(3):
                mock.get(URL_TEXT, exception=TimeoutError())
            result = fetch(Options(retries=2, retry_backoff=0.001, timeout=7))
        assert result.error is not None
        assert (result.error.kind, result.attempts) == (ErrorKind.TIMEOUT, 3)
        assert result.error.message == "timed out after 7.0 s"

    def test_protocol_errors_are_retried(self) -> None:
        """A dropped connection, then a TLS failure: retried once, then the TLS kind stands."""
        make_tls, _ = EXPECTED["ClientConnectorCertificateError"]
        with aioresponses() as mock:
            mock.get(URL_TEXT, exception=aiohttp.ServerDisconnectedError())
            mock.get(URL_TEXT, exception=make_tls())
            mock.get(URL_TEXT, exception=TimeoutError())
            result = fetch(Options(retries=5, retry_backoff=0.001))
        assert result.error is not None
        assert (result.error.kind, result.attempts) == (ErrorKind.TLS, 2)

    def test_invalid_url_never_reaches_the_network(self) -> None:
        """An invalid line is an invalid_url result with no attempt."""
        with aioresponses():
            result = fetch(Options(), url="gopher://x/")
        assert result.error is not None
        assert (result.error.kind, result.attempts) == (ErrorKind.INVALID_URL, 0)
        assert result.error.message == "arg not an http(s) URL"
