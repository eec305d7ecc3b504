"""Which failures are worth another try, and how long to wait before it."""

from __future__ import annotations

import email.utils
import random
import time

from fetchall.models import ErrorKind, FetchError
from fetchall.options import Options

RETRYABLE_KINDS = frozenset({ErrorKind.CONNECT, ErrorKind.PROTOCOL, ErrorKind.TIMEOUT})
"""Failures that no wait can mend: the URL itself, or the local disk."""
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
NEVER_TRIED_AGAIN = frozenset({ErrorKind.INVALID_URL, ErrorKind.SAVE, ErrorKind.WORKER_LOST})
"""Failures ``--wait`` does not try again: another try cannot help, or could do harm again."""
MAX_RETRY_AFTER = 60.0
"""A server may ask for a longer pause, but a smoke check should not sit still for hours."""
MAX_WAIT_STEP = 10.0
"""Under ``--wait``, tries are never further apart than this: a deployment that comes up is
seen within seconds."""


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


def delay_before_next_try(
    options: Options,
    attempts: int,
    error: FetchError,
    status: int | None,
    retry_after: float | None,
    *,
    now: float,
    wait_until: float | None,
) -> float | None:
    """Seconds to wait before trying a failed job again, or None when its failure is final.

    ``--retries`` retries what may go away on its own, that many times. ``--wait`` retries any
    failure but those of :data:`NEVER_TRIED_AGAIN` until ``wait_until``, at most
    :data:`MAX_WAIT_STEP` apart, and cuts the last pause short so that a last try starts when
    the budget runs out.
    """
    if attempts <= options.retries and is_retryable(error, status):
        return backoff(options.retry_backoff, attempts, retry_after)
    if wait_until is None or error.kind in NEVER_TRIED_AGAIN or now >= wait_until:
        return None
    delay = min(backoff(options.retry_backoff, attempts, retry_after), MAX_WAIT_STEP)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, min(delay, wait_until - now))
