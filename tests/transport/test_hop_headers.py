"""Which headers each request of a job carries, redirect hops included, over a real server.

The server's own log of every request says what arrived where: ``127.0.0.1`` and ``localhost``
are the same server under two origins.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from support.fault_server import FaultServer
from yarl import URL

from fetchall import Job, Options, Result
from fetchall.options.headers import HeaderFor
from fetchall.transport.fetcher import Fetcher
from fetchall.transport.headers import rules_of


def fetch_all(options: Options, *urls: str) -> list[Result]:
    """Fetch ``urls`` one after the other with one fetcher (one run's sessions)."""

    async def main() -> list[Result]:
        async with Fetcher(options) as fetcher:
            return [await fetcher.fetch(Job(i, url, "arg")) for i, url in enumerate(urls)]

    return asyncio.run(main())


def via(server: FaultServer, *hops: str) -> str:
    """A URL that redirects through ``hops`` (absolute URLs) to the last one."""
    url = hops[-1]
    for hop in reversed(hops[:-1]):
        url = f"{hop}/redirect-to?url={quote(url, safe='')}"
    return url


def arrived(server: FaultServer) -> list[tuple[str, dict[str, str]]]:
    """Each request the server saw: its host and its headers (names lower-cased)."""
    log = server.request_log
    return [
        (headers.get("Host", "").split(":")[0], {k.lower(): v for k, v in headers.items()})
        for _, _, _, headers in log
    ]


class TestHeadersOnRedirects:
    """``-H`` headers on every hop, but the three secret ones only at the job's origin."""

    def test_custom_header_on_every_hop(self, server: FaultServer) -> None:
        """``X-Api-Key`` goes to every hop, another origin included (as curl's -H does)."""
        url = via(server, server.base, server.url_localhost("/").rstrip("/"), server.url("/ok"))
        options = Options(headers=(("X-Api-Key", "k1"),))
        assert fetch_all(options, url)[0].ok
        assert [(host, h.get("x-api-key")) for host, h in arrived(server)] == [
            ("127.0.0.1", "k1"),
            ("localhost", "k1"),
            ("127.0.0.1", "k1"),
        ]

    @pytest.mark.parametrize("name", ["Authorization", "Cookie", "Proxy-Authorization"])
    def test_secret_header_only_at_the_origin_and_again_on_return(
        self, server: FaultServer, name: str
    ) -> None:
        """Sent to 127.0.0.1, not to localhost, and again on the hop back to 127.0.0.1."""
        url = via(server, server.base, server.url_localhost("/").rstrip("/"), server.url("/ok"))
        options = Options(headers=((name, "s3cret"), ("X-Other", "o")))
        assert fetch_all(options, url)[0].ok
        key = name.lower()
        assert [(host, h.get(key), h.get("x-other")) for host, h in arrived(server)] == [
            ("127.0.0.1", "s3cret", "o"),
            ("localhost", None, "o"),
            ("127.0.0.1", "s3cret", "o"),
        ]

    def test_origin_is_scheme_host_and_port(self, server: FaultServer) -> None:
        """A hop to the same host on another port is another origin."""
        with FaultServer() as other:
            url = via(server, server.base, other.url("/ok"))
            options = Options(headers=(("Authorization", "Bearer t"),))
            assert fetch_all(options, url)[0].ok
            assert [h.get("authorization") for _, h in arrived(server)] == ["Bearer t"]
            assert [h.get("authorization") for _, h in arrived(other)] == [None]

    def test_without_secrets_aiohttp_carries_the_headers(self) -> None:
        """No secret -H header and no --header-for: no middleware, nothing per request."""
        assert rules_of(Options(headers=(("X-A", "1"),))) is None
        assert rules_of(Options()) is None


def _for(pattern: str, header: str) -> HeaderFor:
    return HeaderFor.parse(pattern, header)


class TestHeaderFor:
    """``--header-for PATTERN 'Name: value'``: on every request whose URL matches, no other."""

    def test_only_hops_to_the_matching_host(self, server: FaultServer) -> None:
        """A header for 127.0.0.1 reaches both hops there, and not the one to localhost."""
        url = via(server, server.base, server.url_localhost("/").rstrip("/"), server.url("/ok"))
        options = Options(header_for=(_for("127.0.0.1", "X-Key: only-here"),))
        assert fetch_all(options, url)[0].ok
        assert [(host, h.get("x-key")) for host, h in arrived(server)] == [
            ("127.0.0.1", "only-here"),
            ("localhost", None),
            ("127.0.0.1", "only-here"),
        ]

    def test_a_redirect_to_the_matching_host_gets_it(self, server: FaultServer) -> None:
        """A job that starts elsewhere gets the header on the hop that reaches the host."""
        url = via(server, server.url_localhost("/").rstrip("/"), server.url("/ok"))
        options = Options(header_for=(_for("127.0.0.1", "Authorization: Bearer t"),))
        assert fetch_all(options, url)[0].ok
        assert [(host, h.get("authorization")) for host, h in arrived(server)] == [
            ("localhost", None),
            ("127.0.0.1", "Bearer t"),
        ]

    def test_origin_pattern_takes_the_port(self, server: FaultServer) -> None:
        """``http://127.0.0.1:PORT`` matches this server and not one on another port."""
        with FaultServer() as other:
            pattern = _for(f"http://127.0.0.1:{server.port}", "X-Key: k")
            results = fetch_all(Options(header_for=(pattern,)), server.url("/ok"), other.url("/ok"))
            assert all(r.ok for r in results)
            assert [h.get("x-key") for _, h in arrived(server)] == ["k"]
            assert [h.get("x-key") for _, h in arrived(other)] == [None]

    def test_takes_the_place_of_an_h_header(self, server: FaultServer) -> None:
        """Where it matches, a --header-for header replaces a -H header of the same name."""
        options = Options(
            headers=(("X-Key", "general"), ("Authorization", "a")),
            header_for=(_for("localhost", "X-Key: special"), _for("localhost", "Authorization: b")),
        )
        results = fetch_all(options, server.url("/ok"), server.url_localhost("/ok"))
        assert all(r.ok for r in results)
        assert [(h.get("x-key"), h.get("authorization")) for _, h in arrived(server)] == [
            ("general", "a"),
            ("special", "b"),
        ]


class TestHopRule:
    """:meth:`HeaderRules.for_hop`, the one place that says what a hop gets."""

    def test_default_port_is_the_same_origin(self) -> None:
        """``http://h`` and ``http://h:80`` are one origin; ``https://h`` another."""
        rules = rules_of(Options(headers=(("Authorization", "t"),)))
        assert rules is not None
        job = URL("http://h/")
        assert rules.for_hop(job, URL("http://h:80/x")) == [("Authorization", "t")]
        assert rules.for_hop(job, URL("https://h/x")) == []
