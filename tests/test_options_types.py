"""Every option of the library, of the wrong type or value, is a TypeError or ValueError
naming it, raised before any request, never an ExceptionGroup."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from support.fault_server import FaultServer

import fetchall
from fetchall.options import Options
from fetchall.statuses import AcceptedStatuses

WRONG: list[tuple[str, Any, type[Exception]]] = [
    ("limit", "10", TypeError),
    ("limit", 2.5, TypeError),
    ("limit", True, TypeError),
    ("limit", 0, ValueError),
    ("per_host", "2", TypeError),
    ("per_host", 0, ValueError),
    ("rate", "5", TypeError),
    ("rate", -1, ValueError),
    ("timeout", "30", TypeError),
    ("timeout", -1, ValueError),
    ("timeout", float("nan"), ValueError),
    ("connect_timeout", None, TypeError),
    ("connect_timeout", 0, ValueError),
    ("deadline", "1m", TypeError),
    ("deadline", float("inf"), ValueError),
    ("retries", 1.0, TypeError),
    ("retries", -1, ValueError),
    ("retry_backoff", "0.5", TypeError),
    ("retry_backoff", -0.5, ValueError),
    ("wait", [1], TypeError),
    ("wait", 0, ValueError),
    ("max_failures", "1", TypeError),
    ("max_failures", 0, ValueError),
    ("stagger", None, TypeError),
    ("stagger", -1, ValueError),
    ("accept", 200, TypeError),
    ("accept", "299-200", ValueError),
    ("max_redirects", "3", TypeError),
    ("max_redirects", -1, ValueError),
    ("method", 1, TypeError),
    ("method", "GE T", ValueError),
    ("headers", ["x"], TypeError),
    ("headers", {"a": "b"}, TypeError),
    ("headers", (("a", 1),), TypeError),
    ("headers", (("bad name", "v"),), ValueError),
    ("headers", (("X-A", "v\r\nX-B: w"),), ValueError),
    ("user_agent", b"ua", TypeError),
    ("insecure", "yes", TypeError),
    ("cacert", 1, TypeError),
    ("cert", 1, TypeError),
    ("key", 1, TypeError),
    ("max_size", "1M", TypeError),
    ("max_size", -1, ValueError),
    ("save_dir", 123, TypeError),
    ("expect", "status=200", TypeError),
    ("expect", ["status=200"], TypeError),
    ("workers", "2", TypeError),
    ("workers", 0, ValueError),
    ("header_for", "api.example.com", TypeError),
    ("header_for", [("api.example.com", "X-Key: 1")], ValueError),
    ("warn_on", "timeout", ValueError),
    ("strict", "yes", TypeError),
]


def test_every_field_is_in_the_table() -> None:
    assert {name for name, _, _ in WRONG} == {f.name for f in dataclasses.fields(Options)}


@pytest.mark.parametrize(("name", "value", "error"), WRONG)
def test_options_refuse_it_naming_the_field(name: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=name) as raised:
        Options(**{name: value})
    assert not isinstance(raised.value, BaseExceptionGroup)


@pytest.mark.parametrize(("name", "value", "error"), WRONG)
def test_the_library_refuses_it_before_any_request(
    server: FaultServer, name: str, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=name):
        asyncio.run(fetchall.fetch_all([server.url("/ok")], **{name: value}))

    async def stream() -> None:
        async with fetchall.stream([server.url("/ok")], **{name: value}) as results:
            async for _ in results:  # pragma: no cover (never reached)
                pass

    with pytest.raises(error, match=name):
        asyncio.run(stream())
    assert server.total_requests == 0


@pytest.mark.parametrize(
    ("call", "error", "mentions"),
    [
        ({"mode": "sideways"}, ValueError, "mode must be one of independent, all, first"),
        ({"options": {"limit": 5}}, TypeError, "options must be an Options"),
        ({"limmit": 5}, TypeError, "limmit: not an option"),
    ],
)
def test_mode_options_and_names_are_checked(
    server: FaultServer, call: dict[str, Any], error: type[Exception], mentions: str
) -> None:
    with pytest.raises(error, match=mentions):
        asyncio.run(fetchall.fetch_all([server.url("/ok")], **call))
    assert server.total_requests == 0


@pytest.mark.parametrize("urls", ["http://x/", b"http://x/", 5])
def test_urls_that_are_not_an_iterable_of_urls(urls: Any) -> None:
    with pytest.raises(TypeError, match="urls must be an iterable"):
        asyncio.run(fetchall.fetch_all(urls))


def test_friendly_forms_are_stored_as_the_fields_own_types(tmp_path: Path) -> None:
    """A str path, a str accept list and lists of pairs become the field's own type."""
    options = Options(
        save_dir=str(tmp_path), accept="200,304", headers=[("A", "b")], cacert=str(tmp_path)
    )
    assert options.save_dir == tmp_path
    assert options.cacert == tmp_path
    assert options.accept == AcceptedStatuses.parse("200,304")
    assert options.headers == (("A", "b"),)
    hash(options)
