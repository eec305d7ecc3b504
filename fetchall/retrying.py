"""Which failures are worth another try, and how long to wait before it."""

from __future__ import annotations

import email.utils
import random
import time

from fetchall.models import ErrorKind, FetchError

RETRYABLE_KINDS = frozenset({ErrorKind.CONNECT, ErrorKind.PROTOCOL, ErrorKind.TIMEOUT})
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
"""A server may ask for a longer pause, but a smoke check should not sit still for hours."""


def is_retryable(error: FetchError, status: int | None) -> bool:
    """Whether a failure may go away on its own: a broken connection or a busy server."""
    if error.kind is ErrorKind.HTTP_STATUS:
        return status in RETRYABLE_STATUSES
    return error.kind in RETRYABLE_KINDS


def backoff(base_s: float, attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with "equal jitter", never shorter than a ``Retry-After``."""
    base = base_s * 2.0 ** (attempts - 1)
    delay = base / 2 + random.uniform(0, base / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped at 60."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = float(when.timestamp() - time.time())
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
