"""Following redirects: aiohttp follows them; this module says how far, and paces each hop.

aiohttp fails once the redirects it has received reach its ``max_redirects``, so it is asked
for one more than ``--max-redirects``: N hops go through, and one more fails the attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Sized
from types import SimpleNamespace

import aiohttp

from fetchall.options import Options
from fetchall.shown import redact
from fetchall.transport.limits import RequestBounds
from fetchall.transport.sessions import RedirectHook

log = logging.getLogger("fetchall")


def aiohttp_max_redirects(options: Options) -> int:
    """aiohttp's ``max_redirects`` for ``--max-redirects``."""
    return options.max_redirects + 1


def redirects_allowed(history: Sized) -> int:
    """The ``--max-redirects`` of an attempt that failed with aiohttp's ``history``."""
    return len(history) - 1


def redirect_hook(bounds: RequestBounds | None, rate: float | None) -> RedirectHook | None:
    """What runs on every redirect hop, or None when a hop needs neither pacing nor logging.

    Tracing costs a little on every request, so it is set up only when needed; whether it is
    is decided when the run starts, by ``--rate`` and the log level then.
    """
    if rate is None and not log.isEnabledFor(logging.INFO):
        return None

    async def on_request_redirect(
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
        # --rate counts every request sent, hops included.
        if bounds is not None:
            await bounds.pace_next_hop()

    return on_request_redirect
