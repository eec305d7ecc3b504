"""No cookie is kept: a ``Set-Cookie`` never comes back, in the same job or a later one.

On ``localhost``: aiohttp's cookie jar keeps none for an IP address host anyway, so a test on
``127.0.0.1`` would pass without the rule.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from support.cli import invoke
from support.fault_server import FaultServer

from fetchall import Job, Options, Result
from fetchall.transport.fetcher import Fetcher


def fetch_all(options: Options, *urls: str) -> list[Result]:
    """Fetch ``urls`` one after the other with one fetcher (one run's sessions)."""

    async def main() -> list[Result]:
        async with Fetcher(options) as fetcher:
            return [await fetcher.fetch(Job(i, url, "arg")) for i, url in enumerate(urls)]

    return asyncio.run(main())


def cookies_sent(server: FaultServer) -> list[str | None]:
    """The Cookie header of each request the server saw, in order."""
    return [
        next((v for k, v in headers.items() if k.lower() == "cookie"), None)
        for _, _, _, headers in server.request_log
    ]


class TestNoCookieKept:
    """A ``Set-Cookie`` from one response is never sent with a later request."""

    def test_cookie_from_one_url_not_sent_to_the_next(self, server: FaultServer) -> None:
        """URL 1 sets a cookie; URL 2 on the same host, fetched after it, arrives without."""
        setter = server.url_localhost("/say?text=hi&header=Set-Cookie:session%3Dabc%3B%20Path%3D/")
        results = fetch_all(Options(limit=1), setter, server.url_localhost("/ok"))
        assert [r.ok for r in results] == [True, True]
        assert cookies_sent(server) == [None, None]

    def test_from_the_command_line(self, server: FaultServer) -> None:
        """The same through the command, ``--limit 1`` fixing the order."""
        setter = server.url_localhost("/say?text=hi&header=Set-Cookie:session%3Dabc")
        result = invoke([setter, server.url_localhost("/ok"), "--limit", "1"])
        assert result.exit_code == 0, result.output
        assert [path for _, _, path, _ in server.request_log] == [
            "/say?text=hi&header=Set-Cookie:session%3Dabc",
            "/ok",
        ]
        assert cookies_sent(server) == [None, None]

    def test_cookie_not_sent_on_a_redirect_hop(self, server: FaultServer) -> None:
        """A cookie set by a redirect is not sent on the hop it leads to."""
        target = server.url_localhost("/ok")
        setter = server.url_localhost(
            "/say?status=302&header=Set-Cookie:s%3D1&header=Location:" + quote(target, safe="")
        )
        [result] = fetch_all(Options(), setter)
        assert (result.ok, result.final_url) == (True, target)
        assert cookies_sent(server) == [None, None]

    def test_cookie_given_with_h_is_sent(self, server: FaultServer) -> None:
        """A Cookie header given with -H is sent as given, a Set-Cookie adding nothing to it."""
        setter = server.url_localhost("/say?text=hi&header=Set-Cookie:b%3D2")
        options = Options(limit=1, headers=(("Cookie", "a=1"),))
        assert all(r.ok for r in fetch_all(options, setter, server.url_localhost("/ok")))
        assert cookies_sent(server) == ["a=1", "a=1"]
