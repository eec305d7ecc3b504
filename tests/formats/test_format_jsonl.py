"""The ``jsonl`` format: one JSON object per result, nothing else."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.results import make_result

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.formats import Format
from fetchall.formats.jsonl import JsonLinesFormat
from fetchall.models import ErrorKind, FetchError, JobWarning, Mode, Result, Summary
from fetchall.shown import for_json


def _result(
    url: str, index: int = 0, *, status: int | None = 200, error: FetchError | None = None
) -> Result:
    """A result with every field set when there is a response: ok unless ``error`` is given."""
    if status is None:
        return make_result(url, index, status=None, error=error, elapsed_ms=7)
    return make_result(
        url,
        index,
        status=status,
        error=error,
        size=42,
        elapsed_ms=7,
        attempts=2,
        final_url=url + "final",
        content_type="text/html",
        saved_to="out/h/index.html",
    )


_OK = _result("https://ok.example/", 0)
_FAILED = _result(
    "https://f.example/", 1, status=503, error=FetchError(ErrorKind.HTTP_STATUS, "HTTP 503")
)
_DNS = _result(
    "https://bücher.example/", 2, status=None, error=FetchError(ErrorKind.DNS, "no such host")
)
_CANCELLED = _result(
    "https://c.example/",
    3,
    status=None,
    error=FetchError(ErrorKind.CANCELLED, "a sibling failed"),
)


class TestJsonLines:
    """Each shown result is one line holding exactly its JSON object."""

    def test_lines_parse_back_to_to_dict(self) -> None:
        """Every line is one JSON object equal to ``Result.to_dict()``."""
        jsonl = JsonLinesFormat(Mode.INDEPENDENT)
        for result in (_OK, _FAILED, _DNS):
            line = jsonl.result(result)
            assert line.endswith("\n")
            assert line.count("\n") == 1
            assert json.loads(line) == result.to_dict()

    def test_exact_line(self) -> None:
        """The object's keys come in the documented order, non-ASCII kept as is."""
        line = JsonLinesFormat(Mode.INDEPENDENT).result(_DNS)
        assert line == (
            '{"url": "https://bücher.example/", "index": 2, "source": "urls.txt:3", "ok": false,'
            ' "status": null, "final_url": null, "bytes": 0, "elapsed_ms": 7, "attempts": 0,'
            ' "content_type": null, "saved_to": null,'
            ' "error": {"kind": "dns", "message": "no such host"}, "checks": null,'
            ' "warnings": null}\n'
        )

    def test_end_writes_nothing(self) -> None:
        """Nothing but result objects reaches stdout: the end is empty."""
        jsonl = JsonLinesFormat(Mode.INDEPENDENT)
        jsonl.result(_OK)
        summary = Summary(mode=Mode.INDEPENDENT, ok=1, failed=0, cancelled=0, elapsed_s=1.234)
        assert jsonl.end(summary) == ""

    def test_first_mode_only_the_winner(self) -> None:
        """In first mode the winner is the only line."""
        jsonl = JsonLinesFormat(Mode.FIRST)
        lines = [jsonl.result(r) for r in (_FAILED, _DNS, _OK, _CANCELLED)]
        assert lines[:2] == ["", ""]
        assert json.loads(lines[2]) == _OK.to_dict()
        assert lines[3] == ""

    def test_all_mode_reports_cancelled(self) -> None:
        """In all mode each cancelled job gets its line: the aborted run reports every
        other job as cancelled, and only ``text`` hides cancelled jobs."""
        line = JsonLinesFormat(Mode.ALL).result(_CANCELLED)
        assert line != ""
        assert json.loads(line) == _CANCELLED.to_dict()

    def test_format_enum_builds_it(self) -> None:
        """``Format.JSONL.formatter`` gives a jsonl formatter."""
        assert isinstance(Format.JSONL.formatter(Mode.ALL), JsonLinesFormat)


class TestResultDict:
    """``Result.to_dict`` and ``from_dict`` are inverses, for merging shard reports."""

    @pytest.mark.parametrize("result", [_OK, _FAILED, _DNS, _CANCELLED])
    def test_round_trip(self, result: Result) -> None:
        """A result rebuilt from its dict, even through JSON text, equals the original."""
        assert Result.from_dict(result.to_dict()) == result
        assert Result.from_dict(json.loads(json.dumps(result.to_dict()))) == result

    def test_keys_in_documented_order(self) -> None:
        """The dict has exactly the documented keys in the documented order."""
        assert list(_OK.to_dict()) == [
            "url",
            "index",
            "source",
            "ok",
            "status",
            "final_url",
            "bytes",
            "elapsed_ms",
            "attempts",
            "content_type",
            "saved_to",
            "error",
            "checks",
            "warnings",
        ]

    def test_flags(self) -> None:
        """Cancelled results are neither ok nor failed; other errors are failures."""
        assert (_OK.ok, _OK.failed, _OK.cancelled) == (True, False, False)
        assert (_FAILED.ok, _FAILED.failed, _FAILED.cancelled) == (False, True, False)
        assert (_CANCELLED.ok, _CANCELLED.failed, _CANCELLED.cancelled) == (False, False, True)


_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(['"', "\\", "\u2028", "\x00"]))
_OPTIONAL_TEXT = st.none() | _TEXT
_COUNT = st.integers(min_value=0, max_value=2**53)
_OUTCOMES = st.none() | st.lists(
    st.builds(CheckOutcome, _TEXT, st.booleans(), _TEXT, st.sampled_from(list(CheckKey))),
    max_size=3,
).map(tuple)
_ERRORS = st.none() | st.builds(FetchError, st.sampled_from(list(ErrorKind)), _TEXT)
_WARNINGS = st.none() | st.lists(
    st.builds(JobWarning, st.sampled_from(list(ErrorKind)), _OPTIONAL_TEXT, _TEXT),
    min_size=1,
    max_size=3,
).map(tuple)


_RESULTS = st.builds(
    Result,
    url=_TEXT,
    index=_COUNT,
    source=_TEXT,
    ok=st.booleans(),
    status=st.none() | st.integers(min_value=100, max_value=599),
    final_url=_OPTIONAL_TEXT,
    bytes=_COUNT,
    elapsed_ms=_COUNT,
    attempts=_COUNT,
    content_type=_OPTIONAL_TEXT,
    saved_to=_OPTIONAL_TEXT,
    error=_ERRORS,
    checks=_OUTCOMES,
    warnings=_WARNINGS,
)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(result=_RESULTS)
def test_a_line_is_the_result_dict_as_json_encodes_it(result: Result) -> None:
    # The line is built by hand for speed; it must be byte for byte what json writes, through
    # the one JSON sink (which changes nothing it decodes to).
    line = JsonLinesFormat(Mode.INDEPENDENT).result(result)
    assert line == for_json(json.dumps(result.to_dict(), ensure_ascii=False)) + "\n"
    assert json.loads(line) == json.loads(json.dumps(result.to_dict()))


_ANY_TEXT = st.lists(
    st.characters(codec="utf-8")
    | st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)  # undecodable bytes
    | st.sampled_from(["##[", "::", "\x1b", "\x7f", "\x9b", "\u202e", "\u2066", "\n"])
).map("".join)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(url=_ANY_TEXT, content_type=_ANY_TEXT, message=_ANY_TEXT)
def test_any_text_gives_a_valid_inert_line(url: str, content_type: str, message: str) -> None:
    """Whatever a server sent, the line is valid UTF-8 JSON on one line, with no ``##[`` and
    no raw control or bidi character, and decodes to the same text (undecodable bytes as
    U+FFFD)."""
    result = make_result(
        url,
        status=200,
        content_type=content_type,
        error=(ErrorKind.PROTOCOL, message),
    )
    line = JsonLinesFormat(Mode.INDEPENDENT).result(result)
    line.encode("utf-8")  # raises on a lone surrogate
    assert line.endswith("}\n")
    assert line.count("\n") == 1
    assert "##[" not in line
    assert not any(unicodedata.category(c) == "Cc" for c in line[:-1])
    assert not any(c in line for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    decoded = json.loads(line)
    assert decoded["content_type"] == _as_received(content_type)
    assert decoded["error"]["message"] == _as_received(message)


def _as_received(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def test_undecodable_header_byte_is_replaced() -> None:
    """A Content-Type holding the byte 0xFF (as aiohttp hands it on) is U+FFFD in the line."""
    content_type = b"text/html; charset=\xff".decode("utf-8", "surrogateescape")
    line = JsonLinesFormat(Mode.INDEPENDENT).result(
        make_result("https://a/", content_type=content_type)
    )
    assert '"content_type": "text/html; charset=\ufffd"' in line
    line.encode("utf-8")


def test_old_form_command_is_escaped_losslessly() -> None:
    """``##[`` in a string is written ``#\\u0023[``: the runner reads no command from the
    line, and a reader of the JSON gets ``##[`` back."""
    line = JsonLinesFormat(Mode.INDEPENDENT).result(make_result("https://a/##[add-mask]word"))
    assert '"url": "https://a/#\\u0023[add-mask]word"' in line
    assert json.loads(line)["url"] == "https://a/##[add-mask]word"
