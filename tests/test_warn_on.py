"""``--warn-on``: which final failures turn into warnings, parsed once and checked."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from fetchall.models import ErrorKind, FetchError
from fetchall.options import Options
from fetchall.options.warn_on import WarnOn, warnable_kinds
from fetchall.statuses import AcceptedStatuses

TIMEOUT = FetchError(ErrorKind.TIMEOUT, "timed out after 30.0 s")
STATUS = FetchError(ErrorKind.HTTP_STATUS, "HTTP 429 Too Many Requests")


def test_kinds_and_statuses_parse_apart() -> None:
    warn_on = WarnOn.parse(" timeout , 429,500-599,expectation")
    assert warn_on.kinds == {ErrorKind.TIMEOUT, ErrorKind.EXPECTATION}
    assert warn_on.statuses == AcceptedStatuses(((429, 429), (500, 599)))


def test_a_kind_covers_its_failures_and_a_status_only_http_status_with_it() -> None:
    warn_on = WarnOn.parse("timeout,429")
    assert warn_on.covers(TIMEOUT, None)
    assert warn_on.covers(STATUS, 429)
    assert not warn_on.covers(STATUS, 430)
    assert not warn_on.covers(FetchError(ErrorKind.CONNECT, "refused"), None)
    assert not WarnOn.parse("timeout").covers(STATUS, 429)
    assert WarnOn.parse("http_status").covers(STATUS, 404)


def test_the_kinds_are_every_kind_but_invalid_url_cancelled_and_deadline() -> None:
    kinds = warnable_kinds()
    assert "timeout" in kinds
    assert "expectation" in kinds
    assert not {"invalid_url", "cancelled", "deadline"} & set(kinds)
    assert len(kinds) == len(ErrorKind) - 3


@pytest.mark.parametrize("kind", ["invalid_url", "cancelled", "deadline"])
def test_kinds_that_say_nothing_of_a_host_are_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=f"^{kind} cannot be warned on; warnings take http_status"):
        WarnOn.parse(f"timeout,{kind}")
    with pytest.raises(ValueError, match="cannot be warned on"):
        WarnOn(frozenset({ErrorKind(kind)}))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "'nope' is not an error kind or status; warnings take"),
        ("", "'' is not an error kind or status"),
        ("5xx", "'5xx' is not a status code or range like 200-299"),
        ("599-500", "'599-500' is an empty range"),
        ("1000", "'1000': status codes go from 100 to 999"),
    ],
)
def test_a_malformed_list_names_its_bad_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        WarnOn.parse(spec)


def test_options_take_a_warn_on_and_refuse_anything_else() -> None:
    options = Options(warn_on=WarnOn.parse("timeout"), strict=True)
    assert options.warn_on == WarnOn(frozenset({ErrorKind.TIMEOUT}))
    assert options.strict
    with pytest.raises(ValueError, match=r"^warn_on must be a WarnOn, e\.g\."):
        replace(options, warn_on="timeout")
