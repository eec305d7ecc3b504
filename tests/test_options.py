"""The knobs of a run are checked once, with messages that say what to change."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fetchall.options import Options, parse_size
from fetchall.options.headers import parse_header
from fetchall.statuses import AcceptedStatuses


def _raises(message: str) -> Any:
    """``pytest.raises(ValueError)`` matching the whole message exactly."""
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


class TestAcceptedStatuses:
    """``AcceptedStatuses.parse`` reads ``--accept`` lists of codes and ranges."""

    def test_default(self) -> None:
        """The default accepts 200-299 only."""
        assert AcceptedStatuses().ranges == ((200, 299),)

    def test_range_and_code(self) -> None:
        """``200-299,304`` is a range and a single code."""
        assert AcceptedStatuses.parse("200-299,304").ranges == ((200, 299), (304, 304))

    def test_single_code(self) -> None:
        """``200`` is the range 200-200."""
        assert AcceptedStatuses.parse("200").ranges == ((200, 200),)

    def test_spaces_around_parts_allowed(self) -> None:
        """Blanks around a comma-separated part are ignored."""
        assert AcceptedStatuses.parse(" 200-299 , 304 ").ranges == ((200, 299), (304, 304))

    def test_spaces_inside_a_range_rejected(self) -> None:
        """Blanks around the dash of a range are not accepted."""
        with _raises("'200 - 299' is not a status code or range like 200-299"):
            AcceptedStatuses.parse(" 200 - 299")

    def test_str_round_trip(self) -> None:
        """``str`` writes the list back in the form it was given."""
        assert str(AcceptedStatuses.parse("200-299,304")) == "200-299,304"

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("299-200", "'299-200' is an empty range; write it low-high"),
            ("999-100", "'999-100' is an empty range; write it low-high"),
            ("abc", "'abc' is not a status code or range like 200-299"),
            ("", "'' is not a status code or range like 200-299"),
            ("200,", "'' is not a status code or range like 200-299"),
            ("200-", "'200-' is not a status code or range like 200-299"),
            ("-200", "'-200' is not a status code or range like 200-299"),
            ("50", "'50': status codes go from 100 to 999"),
            ("200-1000", "'200-1000': status codes go from 100 to 999"),
        ],
    )
    def test_invalid(self, spec: str, message: str) -> None:
        """A malformed list or an empty range raises ValueError naming the bad part."""
        with _raises(message):
            AcceptedStatuses.parse(spec)

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (199, False),
            (200, True),
            (250, True),
            (299, True),
            (300, False),
            (304, True),
            (305, False),
        ],
    )
    def test_contains(self, status: int, expected: bool) -> None:
        """A status is accepted exactly when it falls in one of the ranges, bounds included."""
        assert (status in AcceptedStatuses.parse("200-299,304")) is expected

    @pytest.mark.parametrize("value", [None, "200", 200.0])
    def test_contains_non_int(self, value: object) -> None:
        """Only ints are ever accepted: no response, a string or a float is not a status."""
        assert value not in AcceptedStatuses()


class TestParseSize:
    """``parse_size`` reads ``--max-size`` as bytes with K, M, G suffixes (powers of 1024)."""

    @pytest.mark.parametrize(
        ("text", "size"),
        [
            ("0", 0),
            ("10", 10),
            ("10K", 10 * 1024),
            ("10k", 10 * 1024),
            ("5M", 5 * 1024**2),
            ("1G", 1024**3),
            ("10KB", 10 * 1024),
            ("10KiB", 10 * 1024),
            (" 7 m ", 7 * 1024**2),
        ],
    )
    def test_valid(self, text: str, size: int) -> None:
        """A count of bytes, with an optional unit, becomes a number of bytes."""
        assert parse_size(text) == size

    @pytest.mark.parametrize("text", ["1.5M", "-1", "", "M", "10T", "ten"])
    def test_invalid(self, text: str) -> None:
        """Fractions, negative numbers, unknown units and words are rejected."""
        with _raises(f"{text!r} is not a size like 500K, 10M or 1G"):
            parse_size(text)


class TestParseHeader:
    """``parse_header`` reads ``-H 'Name: value'``."""

    def test_valid(self) -> None:
        """Name and value are split at the first colon and stripped."""
        assert parse_header("X-Token:  abc ") == ("X-Token", "abc")

    def test_value_with_colons(self) -> None:
        """Colons after the first belong to the value."""
        assert parse_header("X: a:b") == ("X", "a:b")

    def test_empty_value(self) -> None:
        """A header may have an empty value."""
        assert parse_header("X-Empty:") == ("X-Empty", "")

    @pytest.mark.parametrize("text", ["NoColon", ": value", "  : value", "Bad Name: v"])
    def test_invalid(self, text: str) -> None:
        """No colon, an empty name or a name with blanks raises ValueError quoting the input."""
        with _raises(f"{text!r} is not a header like 'Name: value'"):
            parse_header(text)


class TestOptions:
    """``Options`` checks every field on construction and names the bad one."""

    def test_defaults(self) -> None:
        """The defaults are the CLI's defaults."""
        options = Options()
        assert (options.limit, options.timeout, options.retries, options.method) == (
            10,
            30.0,
            0,
            "GET",
        )
        assert options.max_redirects == 10
        assert options.user_agent.startswith("fetchall/")

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("limit", 0, "limit must be >= 1, not 0"),
            ("per_host", 0, "per_host must be >= 1, not 0"),
            ("retries", -1, "retries must be >= 0, not -1"),
            ("max_failures", 0, "max_failures must be >= 1, not 0"),
            ("max_redirects", -1, "max_redirects must be >= 0, not -1"),
            ("max_size", -1, "max_size must be >= 0, not -1"),
            ("timeout", 0, "timeout must be a positive number of seconds, not 0"),
            (
                "connect_timeout",
                -1.0,
                "connect_timeout must be a positive number of seconds, not -1.0",
            ),
            ("deadline", 0.0, "deadline must be a positive number of seconds, not 0.0"),
            ("rate", 0.0, "rate must be a positive number of seconds, not 0.0"),
            ("retry_backoff", -0.5, "retry_backoff must be >= 0 seconds, not -0.5"),
            ("stagger", -1.0, "stagger must be >= 0 seconds, not -1.0"),
            ("method", "G ET", "'G ET' is not an HTTP method like GET or HEAD"),
            ("method", "", "'' is not an HTTP method like GET or HEAD"),
        ],
    )
    def test_invalid(self, field: str, value: object, message: str) -> None:
        """An out-of-range value raises ValueError whose message names the field."""
        with _raises(message):
            Options(**{field: value})

    def test_nan_timeout_rejected(self) -> None:
        """A NaN timeout is not a positive number."""
        with _raises("timeout must be a positive number of seconds, not nan"):
            Options(timeout=float("nan"))

    def test_boundaries_accepted(self) -> None:
        """The smallest allowed values are accepted."""
        options = Options(limit=1, retries=0, max_redirects=0, max_size=0, retry_backoff=0.0)
        assert (options.limit, options.max_redirects, options.max_size) == (1, 0, 0)
