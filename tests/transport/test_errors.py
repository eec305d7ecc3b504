"""Exceptions that the aiohttp table in test_fetcher.py does not name: TLS failures that reach
us bare or wrapped, and anything unknown."""

from __future__ import annotations

import ssl
from types import SimpleNamespace

import aiohttp

from fetchall import ErrorKind
from fetchall.transport.errors import error_for

CONNECTION = SimpleNamespace(host="mocked.test", port=443, ssl=True, is_ssl=True)


def test_a_bare_ssl_error_is_tls() -> None:
    error = error_for(ssl.SSLError(1, "wrong version number"))
    assert (error.kind, error.message) == (ErrorKind.TLS, "wrong version number")


def test_a_connection_error_caused_by_tls_is_tls() -> None:
    wrapped = aiohttp.ClientConnectorError(CONNECTION, OSError(1, "handshake"))  # type: ignore[arg-type]
    wrapped.__cause__ = ssl.SSLError(1, "bad handshake")
    assert error_for(wrapped).kind is ErrorKind.TLS


def test_anything_unknown_is_a_protocol_error() -> None:
    error = error_for(RuntimeError("  odd\n  thing "))
    assert (error.kind, error.message) == (ErrorKind.PROTOCOL, "odd thing")
