"""Following redirects: how far aiohttp is asked to go, and what each hop logs."""

from __future__ import annotations

import asyncio
import logging

import pytest
from support.fault_server import FaultServer

from fetchall import ErrorKind, Job, Options, Result
from fetchall.transport.fetcher import Fetcher
from fetchall.transport.redirects import aiohttp_max_redirects, redirect_hook, redirects_allowed


def fetch(options: Options, url: str) -> Result:
    async def main() -> Result:
        async with Fetcher(options) as fetcher:
            return await fetcher.fetch(Job(0, url, "arg"))

    return asyncio.run(main())


def test_aiohttp_is_asked_for_one_hop_more() -> None:
    assert aiohttp_max_redirects(Options(max_redirects=3)) == 4
    assert redirects_allowed([object()] * 4) == 3


def test_no_hook_without_rate_or_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="fetchall")
    assert redirect_hook(None, None) is None


def test_each_hop_is_logged_without_bounds(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fetchall")
    result = fetch(Options(), server.url("/redirect/2"))
    assert (result.ok, result.attempts) == (True, 1)
    hops = [r.getMessage() for r in caplog.records if r.getMessage().startswith("redirect")]
    assert hops == [
        f"redirect 302: {server.url('/redirect/2')} -> /redirect/1",
        f"redirect 302: {server.url('/redirect/1')} -> /ok",
    ]
    assert server.total_requests == 3


def test_max_redirects_lets_n_hops_through_and_fails_on_one_more(server: FaultServer) -> None:
    assert fetch(Options(max_redirects=2), server.url("/redirect/2")).ok
    server.reset()
    failed = fetch(Options(max_redirects=2), server.url("/redirect/3"))
    assert failed.error is not None
    assert (failed.error.kind, failed.error.message) == (
        ErrorKind.TOO_MANY_REDIRECTS,
        "more than 2 redirects",
    )
    assert server.total_requests == 3


def test_with_no_redirects_allowed_the_redirect_is_the_answer(server: FaultServer) -> None:
    result = fetch(Options(max_redirects=0), server.url("/redirect/1"))
    assert (result.ok, result.status) == (False, 302)
    assert server.total_requests == 1
