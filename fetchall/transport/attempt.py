"""What one attempt saw: the :class:`Response` value of an aiohttp response, and the failure
that ends an attempt early."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from fetchall.models import FetchError, Response
from fetchall.shown import redact

if TYPE_CHECKING:
    from fetchall.checks import CheckOutcome


class AttemptFailed(Exception):
    """One attempt failed; carries the error value and what was seen of the response."""

    def __init__(
        self,
        error: FetchError,
        response: Response | None = None,
        retry_after: float | None = None,
        outcomes: tuple[CheckOutcome, ...] | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.response = response
        self.retry_after = retry_after
        self.outcomes = outcomes


def seen_of(response: aiohttp.ClientResponse, size: int, saved_to: str | None = None) -> Response:
    """The response as results show it: its body's ``size`` and where it was saved."""
    # Positional: this runs once per request.
    content_type = response.headers.get("Content-Type")
    return Response(response.status, redact(str(response.url)), content_type, size, saved_to)
