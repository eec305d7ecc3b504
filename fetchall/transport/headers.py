"""Which headers each request of a job carries, first and redirect hops alike.

aiohttp carries a request's headers along its redirects, and drops ``Authorization``,
``Cookie`` and ``Proxy-Authorization`` when a hop changes origin, never to put them back.
That is the rule for ``-H`` headers but for two things: a secret one (:data:`SECRET_HEADERS`)
comes back on a hop that returns to the job's origin, and a ``--header-for`` one goes exactly
where its pattern matches. So when a run has either, those headers are not handed to aiohttp
with the request: a client middleware, which aiohttp calls once per hop with that hop's
request, adds the ones the hop gets (:meth:`HeaderRules.for_hop`, the one place of the rule).

A run with neither hands aiohttp its ``-H`` headers and has no middleware (:func:`rules_of`
is None): nothing on the per-request path.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from yarl import URL

from fetchall.options import Options
from fetchall.options.headers import HeaderFor, is_secret

Header = tuple[str, str]
_Origin = tuple[str, str | None, int | None]


def _origin_of(url: URL) -> _Origin:
    # url.port is the scheme's default when none is written: http://h and http://h:80 are one.
    return url.scheme, url.raw_host, url.port


@dataclass(frozen=True, slots=True)
class HeaderRules:
    """The run's ``-H`` and ``--header-for`` headers, sorted by where they go."""

    everywhere: tuple[Header, ...]
    """``-H`` headers but the secret ones: handed to aiohttp, which sends them on every hop."""
    own_origin: tuple[Header, ...]
    """The secret ``-H`` headers: for the job URL's own origin only."""
    header_for: tuple[HeaderFor, ...]

    def for_hop(self, job_url: URL, hop_url: URL) -> list[Header]:
        """What a request to ``hop_url`` gets on top of :attr:`everywhere`, in a job for
        ``job_url`` (its first request, or a redirect hop); a ``--header-for`` header takes the
        place of a ``-H`` one of the same name."""
        chosen = [(h.name, h.value) for h in self.header_for if h.pattern.matches(hop_url)]
        if self.own_origin and _origin_of(hop_url) == _origin_of(job_url):
            taken = {name.lower() for name, _ in chosen}
            chosen += [header for header in self.own_origin if header[0].lower() not in taken]
        return chosen

    def middleware_for(self, job_url: URL) -> aiohttp.ClientMiddlewareType:
        """The middleware that gives every hop of a job for ``job_url`` its headers."""
        return _JobHeaders(self, job_url)


class _JobHeaders:
    """Called by aiohttp once per request of one job, with the request about to be sent."""

    __slots__ = ("_job_url", "_rules")

    def __init__(self, rules: HeaderRules, job_url: URL) -> None:
        self._rules = rules
        self._job_url = job_url

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        added = self._rules.for_hop(self._job_url, request.url)
        headers = request.headers
        for name, _ in added:  # an -H header of the same name, or one aiohttp carried along
            headers.popall(name, None)
        headers.extend(added)
        return await handler(request)


def rules_of(options: Options) -> HeaderRules | None:
    """How ``options`` sorts its headers, or None when aiohttp's own rule is the run's: no
    secret ``-H`` header and no ``--header-for``."""
    own_origin = tuple(header for header in options.headers if is_secret(header[0]))
    if not own_origin and not options.header_for:
        return None
    everywhere = tuple(header for header in options.headers if not is_secret(header[0]))
    return HeaderRules(everywhere, own_origin, options.header_for)


def first_request_headers(
    options: Options, rules: HeaderRules | None
) -> tuple[tuple[str, str], ...] | None:
    """The headers every request of a run carries itself (None: none). Without rules,
    aiohttp's own handling of headers on redirects is the rule: every ``-H`` header; with
    them, those that go everywhere, the others added per hop by :class:`HeaderRules`."""
    return (options.headers if rules is None else rules.everywhere) or None
