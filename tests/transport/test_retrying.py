"""Which failures are tried again, and after how long: exact values, no sockets, no sleeping.

The jitter is pinned to either end of its range by replacing ``random.uniform``, so each
bound is asserted exactly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from fetchall import ErrorKind, Options
from fetchall.models import FetchError
from fetchall.transport.retrying import (
    MAX_RETRY_AFTER,
    MAX_WAIT_STEP,
    backoff,
    delay_before_next_try,
    is_retryable,
    parse_retry_after,
)

LOW: Callable[[float, float], float] = lambda low, _high: low  # noqa: E731
HIGH: Callable[[float, float], float] = lambda _low, high: high  # noqa: E731
REFUSED = FetchError(ErrorKind.CONNECT, "refused")
NOT_FOUND = FetchError(ErrorKind.HTTP_STATUS, "HTTP 404")
INVALID = FetchError(ErrorKind.INVALID_URL, "bad")
HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
HTTP_DATE_EPOCH = 1445412480.0


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        (ErrorKind.CONNECT, None, True),
        (ErrorKind.PROTOCOL, None, True),
        (ErrorKind.TIMEOUT, None, True),
        (ErrorKind.DNS, None, False),
        (ErrorKind.TLS, None, False),
        (ErrorKind.TOO_LARGE, None, False),
        (ErrorKind.HTTP_STATUS, 408, True),
        (ErrorKind.HTTP_STATUS, 429, True),
        (ErrorKind.HTTP_STATUS, 502, True),
        (ErrorKind.HTTP_STATUS, 503, True),
        (ErrorKind.HTTP_STATUS, 504, True),
        (ErrorKind.HTTP_STATUS, 500, False),
        (ErrorKind.HTTP_STATUS, 404, False),
    ],
)
def test_what_may_go_away_on_its_own(kind: ErrorKind, status: int | None, expected: bool) -> None:
    assert is_retryable(FetchError(kind, "x"), status) is expected


@pytest.mark.parametrize(
    ("attempts", "low", "high"), [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (5, 4.0, 8.0)]
)
def test_backoff_doubles_with_equal_jitter(
    monkeypatch: pytest.MonkeyPatch, attempts: int, low: float, high: float
) -> None:
    """Base 0.5 s: attempt n waits between half and all of 0.5 * 2**(n-1)."""
    monkeypatch.setattr(random, "uniform", LOW)
    assert backoff(0.5, attempts, None) == low
    monkeypatch.setattr(random, "uniform", HIGH)
    assert backoff(0.5, attempts, None) == high


def test_backoff_is_never_shorter_than_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", HIGH)
    assert backoff(0.5, 1, 7.0) == 7.0
    assert backoff(0.5, 5, 3.0) == 8.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("5", 5.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("60", 60.0),
        ("120", MAX_RETRY_AFTER),
        ("-3", None),
        ("soon", None),
        ("1.5", None),
    ],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (HTTP_DATE_EPOCH - 30, 30.0),
        (HTTP_DATE_EPOCH + 10, 0.0),  # a date gone by: no pause
        (HTTP_DATE_EPOCH - 3600, MAX_RETRY_AFTER),
    ],
)
def test_retry_after_as_an_http_date(
    monkeypatch: pytest.MonkeyPatch, now: float, seconds: float
) -> None:
    monkeypatch.setattr(time, "time", lambda: now)
    assert parse_retry_after(HTTP_DATE) == seconds


def test_retry_after_cap_is_sixty_seconds() -> None:
    assert MAX_RETRY_AFTER == 60.0


def test_a_malformed_http_date_is_ignored() -> None:
    assert parse_retry_after("Wed, 99 Foo 2015 07:28:00 GMT") is None


class TestDelayBeforeNextTry:
    @pytest.fixture(autouse=True)
    def _low_jitter(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(random, "uniform", LOW)

    def test_retries_then_stops(self) -> None:
        options = Options(retries=2, retry_backoff=1.0)
        delays = [
            delay_before_next_try(options, n, REFUSED, None, None, now=0.0, wait_until=None)
            for n in (1, 2, 3)
        ]
        assert delays == [0.5, 1.0, None]

    def test_retries_skip_what_does_not_go_away(self) -> None:
        options = Options(retries=2)
        assert (
            delay_before_next_try(options, 1, NOT_FOUND, 404, None, now=0.0, wait_until=None)
            is None
        )

    def test_retry_after_lengthens_a_retry(self) -> None:
        options = Options(retries=1, retry_backoff=1.0)
        busy = FetchError(ErrorKind.HTTP_STATUS, "HTTP 503")
        assert delay_before_next_try(options, 1, busy, 503, 9.0, now=0.0, wait_until=None) == 9.0

    def test_wait_retries_any_failure_but_an_invalid_url(self) -> None:
        options = Options(wait=100.0, retry_backoff=1.0)
        assert (
            delay_before_next_try(options, 3, NOT_FOUND, 404, None, now=0.0, wait_until=100.0)
            == 2.0
        )
        assert (
            delay_before_next_try(options, 1, INVALID, None, None, now=0.0, wait_until=100.0)
            is None
        )

    def test_wait_steps_are_capped(self) -> None:
        options = Options(wait=100.0, retry_backoff=1.0)
        delay = delay_before_next_try(options, 10, REFUSED, None, None, now=0.0, wait_until=100.0)
        assert delay == MAX_WAIT_STEP == 10.0

    def test_retry_after_beats_the_wait_step_cap(self) -> None:
        options = Options(wait=100.0, retry_backoff=1.0)
        delay = delay_before_next_try(options, 10, REFUSED, None, 30.0, now=0.0, wait_until=100.0)
        assert delay == 30.0

    def test_the_last_pause_ends_with_the_budget(self) -> None:
        options = Options(wait=100.0, retry_backoff=1.0)
        assert (
            delay_before_next_try(options, 10, REFUSED, None, 30.0, now=99.0, wait_until=100.0)
            == 1.0
        )
        assert (
            delay_before_next_try(options, 1, REFUSED, None, None, now=100.0, wait_until=100.0)
            is None
        )

    def test_wait_takes_over_once_retries_are_spent(self) -> None:
        options = Options(retries=1, wait=100.0, retry_backoff=1.0)
        delays = [
            delay_before_next_try(options, n, REFUSED, None, None, now=0.0, wait_until=100.0)
            for n in (1, 2)
        ]
        assert delays == [0.5, 1.0]
