"""The sinks for outside text: each makes any text inert for the place it goes."""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchall.shown import (
    for_command_message,
    for_command_property,
    for_json,
    for_lines,
    for_runner,
    for_terminal,
    for_terminal_url,
    for_xml,
)

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SETTINGS = settings(max_examples=400, deadline=None, database=None, derandomize=True)
# Any text, with the pieces that matter more often than chance would give them.
_TEXT = st.lists(
    st.characters()
    | st.sampled_from(["##[", "::", " ::", "\t::", "\n", "\r", "\r\n", "\x1b", "\x85", "#", ":"])
    | st.sampled_from(list(_BIDI))
).map("".join)
# What a runner reads as a workflow command: ``::`` at a line's start after blanks (it
# trims Unicode white space, splits lines at CR and LF), ``##[`` anywhere.
_COMMAND_LINE = re.compile(r"(?:\A|[\r\n])\s*::")


def _raw_unsafe(text: str) -> list[str]:
    return [
        c
        for c in text
        if (unicodedata.category(c) in {"Cc", "Cs"} and c != "\t")
        or c in _BIDI
        or c in "\u2028\u2029\ufffe\uffff"
    ]


def _no_commands(text: str) -> bool:
    return "##[" not in text and not _COMMAND_LINE.search(text)


class TestForTerminal:
    """One line of stdout or stderr."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("HTTP 503 \x1b[2J\x1b]0;t\x07", "HTTP 503 \\x1b[2J\\x1b]0;t\\x07"),
            ("a\u202eb\u2066c", "a\\u202eb\\u2066c"),
            ("a\nb\rc\x00d\x7fe\x9bf", "a\\x0ab\\x0dc\\x00d\\x7fe\\x9bf"),
            ("tab\tkept", "tab\tkept"),
            ("x ##[stop-commands]tok", "x #\u200b#[stop-commands]tok"),
            ("::add-mask::secret", ":\u200b:add-mask::secret"),
            ("  ::error::x", "  :\u200b:error::x"),
            ("mid-line a::b stays", "mid-line a::b stays"),
            (b"bad \xff byte".decode("utf-8", "surrogateescape"), "bad \ufffd byte"),
            ("plain ascii", "plain ascii"),
            ("ünïcødé ✓", "ünïcødé ✓"),
        ],
    )
    def test_examples(self, text: str, shown: str) -> None:
        """Controls and bidi escaped, commands broken, undecodable bytes U+FFFD, the rest kept."""
        assert for_terminal(text) == shown

    def test_plain_text_is_the_same_object(self) -> None:
        """The common case returns its argument: no copy, no regular expression."""
        text = "ok    200   1.2 KiB    35 ms  https://example.com/"
        assert for_terminal(text) is text

    @_SETTINGS
    @given(_TEXT)
    def test_any_text_is_inert(self, text: str) -> None:
        """For any text: one line, valid UTF-8, no raw control or bidi character, no command."""
        shown = for_terminal(text)
        shown.encode("utf-8")
        assert not _raw_unsafe(shown)
        assert _no_commands(shown)

    @_SETTINGS
    @given(_TEXT)
    def test_nothing_is_dropped(self, text: str) -> None:
        """Every character of a decodable text is shown, escaped or as itself: taking the
        escapes and zero-width spaces away gives the text back."""
        # A backslash of the text itself would read as the start of an escape here.
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\\", "")
        shown = for_terminal(text).replace("\u200b", "")
        unescaped = re.sub(
            r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})",
            lambda m: chr(int(m[1] or m[2], 16)),
            shown,
        )
        assert unescaped == text.replace("\u200b", "")


class TestForTerminalUrl:
    """A URL in a line: percent-encoded where the text sink would escape."""

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("http://h/\x1b[31m", "http://h/%1B[31m"),
            ("http://h/\u202eexe", "http://h/%E2%80%AEexe"),
            ("http://h/a\tb", "http://h/a%09b"),
            ("http://h/p#x##[add-mask]w", "http://h/p#x#%23[add-mask]w"),
            ("::add-mask::w", "%3A:add-mask::w"),
            ("http://[::1]:8080/", "http://[::1]:8080/"),
        ],
    )
    def test_examples(self, url: str, shown: str) -> None:
        """Percent-encoding keeps it the same URL."""
        assert for_terminal_url(url) == shown

    @_SETTINGS
    @given(_TEXT)
    def test_any_text_is_inert(self, text: str) -> None:
        """For any text: no raw control, tab or bidi character, no command."""
        shown = for_terminal_url(text)
        shown.encode("utf-8")
        assert not _raw_unsafe(shown)
        assert "\t" not in shown
        assert _no_commands(shown)


class TestForLinesAndXml:
    """Text of several lines; the JUnit report's text."""

    def test_lines_kept_each_inert(self) -> None:
        """Line breaks stay (CR LF and CR as LF); each line is made inert on its own."""
        assert for_lines("a\r\n::set-output x\rb ##[x]\n  ::y\x1b") == (
            "a\n:\u200b:set-output x\nb #\u200b#[x]\n  :\u200b:y\\x1b"
        )

    @_SETTINGS
    @given(_TEXT)
    def test_any_text_parses_as_xml_and_is_inert(self, text: str) -> None:
        """For any text, an element and an attribute holding it parse, and what a reader
        gets back holds no command and no raw control but LF and tab."""
        element = ET.Element("testcase", message=for_xml(text))
        element.text = for_xml(text)
        document = ET.tostring(element, encoding="unicode")
        parsed = ET.fromstring(document.encode("utf-8"))
        for value in (parsed.text or "", parsed.get("message") or ""):
            assert _no_commands(value)
            assert not [c for c in _raw_unsafe(value) if c != "\n"]
        assert "##[" not in document


class TestForRunner:
    """The rule against workflow commands alone."""

    @_SETTINGS
    @given(_TEXT)
    def test_no_command_survives(self, text: str) -> None:
        """For any text: no ``##[``, no line starting with ``::`` after blanks."""
        assert _no_commands(for_runner(text))

    def test_ordinary_text_unchanged(self) -> None:
        """Text without commands is returned as it is."""
        assert for_runner("a::b\nc # [d]") == "a::b\nc # [d]"


class TestForCommand:
    """Inside fetchall's own ``::error`` commands."""

    def test_message(self) -> None:
        """Lines kept as %0A, controls escaped, commands broken, % escaped."""
        assert for_command_message("50% \x1b\n::x ##[y]") == ("50%25 \\x1b%0A:\u200b:x #\u200b#[y]")

    def test_property(self) -> None:
        """A path: one line, and the property delimiters encoded."""
        assert for_command_property("a:b,c\n##[d]") == "a%3Ab%2Cc\\x0a#\u200b#[d]"


class TestForJson:
    """A JSON text about to be written."""

    def test_ascii_plain_is_the_same_object(self) -> None:
        """The common case returns its argument."""
        encoded = json.dumps({"url": "https://a/", "n": 1})
        assert for_json(encoded) is encoded

    @_SETTINGS
    @given(st.dictionaries(_TEXT, _TEXT, max_size=3))
    def test_valid_utf8_inert_and_lossless(self, document: dict[str, str]) -> None:
        """For any strings: valid UTF-8, no ``##[``, no raw DEL, C1 or bidi, one line, and it
        decodes to the same strings (undecodable bytes and surrogates as U+FFFD)."""
        encoded = for_json(json.dumps(document, ensure_ascii=False))
        encoded.encode("utf-8")
        assert "##[" not in encoded
        assert "\n" not in encoded
        assert not _raw_unsafe(encoded)

        def received(text: str) -> str:
            try:
                return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            except UnicodeEncodeError:
                return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")

        assert json.loads(encoded) == json.loads(
            json.dumps({received(k): received(v) for k, v in document.items()})
        )
