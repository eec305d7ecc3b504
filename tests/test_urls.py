"""Which lines are fetchable URLs and how URLs are shown without credentials."""

from __future__ import annotations

import pytest

from fetchall.shown import redact
from fetchall.urls import MAX_LINE_BYTES, InvalidURL, parse_url, scheme_of

_UNDECODABLE = b"http://x/\xff".decode("utf-8", "surrogateescape")


class TestSchemeOf:
    """``scheme_of``: the one test of whether a text names a scheme, for INPUTs and lines."""

    @pytest.mark.parametrize(
        ("text", "scheme"),
        [
            ("http://a/", "http"),
            ("HTTPS://a/", "https"),
            ("ftp://a/b://c", "ftp"),
            ("not-a-scheme://x", "not-a-scheme"),
            ("://x", ""),
            ("urls.txt", None),
            ("http:/one-slash", None),
            ("-", None),
        ],
    )
    def test_scheme_of(self, text: str, scheme: str | None) -> None:
        """The text before the first ``://``, lower-cased, or None without one."""
        assert scheme_of(text) == scheme

    def test_an_empty_scheme_is_not_http(self) -> None:
        """``://x`` names a scheme, an empty one: not an http(s) URL."""
        with pytest.raises(InvalidURL, match=r"^not an http\(s\) URL$"):
            parse_url("://x")


class TestParseURL:
    """``parse_url`` accepts absolute http(s) URLs and explains why it rejects the rest."""

    def test_plain_http(self) -> None:
        """A plain http URL parses with its host and the default port."""
        url = parse_url("http://example.com/a")
        assert (url.scheme, url.host, url.port, url.path) == ("http", "example.com", 80, "/a")

    def test_https(self) -> None:
        """An https URL parses with port 443."""
        url = parse_url("https://example.com/")
        assert (url.scheme, url.port) == ("https", 443)

    def test_upper_case_scheme(self) -> None:
        """An upper-case scheme and host are accepted and normalised to lower case."""
        url = parse_url("HTTP://EXAMPLE.com/a")
        assert str(url) == "http://example.com/a"

    def test_idn_host(self) -> None:
        """An internationalised host name is accepted and encoded to punycode on the wire."""
        url = parse_url("http://bücher.example/")
        assert url.host == "bücher.example"
        assert str(url) == "http://xn--bcher-kva.example/"

    def test_ipv6_literal(self) -> None:
        """An IPv6 literal host with a port is accepted."""
        url = parse_url("http://[::1]:8080/x")
        assert (url.host, url.port, url.path) == ("::1", 8080, "/x")

    def test_userinfo(self) -> None:
        """User name and password in the URL are accepted and kept for the request."""
        url = parse_url("https://user:pass@example.com/")
        assert (url.user, url.password, url.host) == ("user", "pass", "example.com")

    def test_query_and_fragment(self) -> None:
        """Query string and fragment are accepted and kept."""
        url = parse_url("https://h.example/p?q=1&r=2#frag")
        assert (url.query_string, url.fragment) == ("q=1&r=2", "frag")

    def test_line_of_exactly_the_limit(self) -> None:
        """A URL of exactly MAX_LINE_BYTES bytes is still accepted."""
        text = "http://x/" + "a" * (MAX_LINE_BYTES - len("http://x/"))
        assert len(text.encode()) == MAX_LINE_BYTES
        assert parse_url(text).host == "x"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("ftp://example.com/f", "not an http(s) URL"),
            ("file:///etc/passwd", "not an http(s) URL"),
            ("javascript:alert(1)", "not an absolute URL (no scheme://)"),
            ("mailto:someone@example.com", "not an absolute URL (no scheme://)"),
            ("example.com/x", "not an absolute URL (no scheme://)"),
            ("http://", "URL has no host"),
            ("http://x/a b", "URL contains spaces or control characters"),
            ("http:// x/", "URL contains spaces or control characters"),
            ("http://x/\x00", "URL contains spaces or control characters"),
            ("http://x/\x07y", "URL contains spaces or control characters"),
            ("http://x/\x7f", "URL contains spaces or control characters"),
            ("http://x/a\tb", "URL contains spaces or control characters"),
            ("http://x/" + "a" * MAX_LINE_BYTES, "line longer than 8 KiB"),
            (_UNDECODABLE, "line is not valid UTF-8"),
            ("http://h:99999/", "unparsable URL (Port out of range 0-65535)"),
        ],
    )
    def test_rejected(self, text: str, message: str) -> None:
        """Each unfetchable line raises InvalidURL with a message that says what is wrong."""
        with pytest.raises(InvalidURL) as info:
            parse_url(text)
        assert str(info.value) == message

    def test_non_numeric_port(self) -> None:
        """A port that is not a number is rejected as unparsable."""
        with pytest.raises(InvalidURL, match=r"^unparsable URL \("):
            parse_url("http://h:abc/")

    def test_invalid_url_is_a_value_error(self) -> None:
        """InvalidURL is a ValueError, so callers catching ValueError also catch it."""
        assert issubclass(InvalidURL, ValueError)

    def test_lone_surrogate_is_invalid_not_a_crash(self) -> None:
        """A str with a lone surrogate (possible through the library API) is an InvalidURL."""
        with pytest.raises(InvalidURL, match="not valid UTF-8"):
            parse_url("http://x/\ud800")


class TestRedact:
    """``redact`` shows URLs to people: credentials hidden, printable, bounded in length."""

    def test_user_and_password_hidden(self) -> None:
        """``user:pass@`` is shown as ``***@``."""
        assert redact("https://user:pass@example.com/p?q=1") == "https://***@example.com/p?q=1"

    def test_user_only_hidden(self) -> None:
        """A user name without password is hidden too."""
        assert redact("http://user@example.com/x") == "http://***@example.com/x"

    def test_upper_case_scheme_with_credentials(self) -> None:
        """Credentials are hidden whatever the case of the scheme."""
        assert redact("HTTPS://u:p@h/") == "HTTPS://***@h/"

    def test_at_sign_inside_password(self) -> None:
        """Everything up to the last ``@`` of the authority is hidden, ``@`` in a password too."""
        assert redact("http://u:p@ss@host/") == "http://***@host/"

    def test_other_scheme_with_credentials(self) -> None:
        """Credentials are hidden even in an invalid (non-http) line, which is still reported."""
        assert redact("ftp://u:secret@h/") == "ftp://***@h/"

    @pytest.mark.parametrize(
        "url",
        ["https://example.com/", "http://[::1]:8080/x?a=b#c", "http://bücher.example/", "x"],
    )
    def test_without_userinfo_unchanged(self, url: str) -> None:
        """A URL without userinfo is shown exactly as given."""
        assert redact(url) == url

    def test_at_sign_in_path_unchanged(self) -> None:
        """An ``@`` after the authority is not userinfo and stays."""
        assert redact("http://h/a@b") == "http://h/a@b"

    def test_invalid_text(self) -> None:
        """Text that is not a URL at all is shown as is."""
        assert redact("not a url") == "not a url"

    def test_control_characters_percent_encoded(self) -> None:
        """Control characters (NUL, newline, ESC, DEL) are percent-encoded, not dropped;
        spaces stay."""
        assert redact("a b\x00c\nd\x1be\x7f") == "a b%00c%0Ad%1Be%7F"

    @pytest.mark.parametrize(
        ("char", "encoded"),
        [("\x85", "%C2%85"), ("\x9b", "%C2%9B"), ("\ufffe", "%EF%BF%BE"), ("\u202e", "%E2%80%AE")],
    )
    def test_c1_controls_bidi_and_xml_non_characters_encoded(self, char: str, encoded: str) -> None:
        """C1 controls (NEL, CSI), bidi overrides and U+FFFE/U+FFFF, which break lines,
        terminals or XML, are percent-encoded like C0 controls."""
        assert redact(f"http://x/{char}31m") == f"http://x/{encoded}31m"

    def test_undecodable_bytes_replaced(self) -> None:
        """Surrogate-escaped undecodable bytes become U+FFFD."""
        assert redact(_UNDECODABLE) == "http://x/\ufffd"

    def test_undecodable_bytes_with_credentials(self) -> None:
        """Undecodable bytes and credentials together: both dealt with."""
        text = b"http://u:p@h/\xfe".decode("utf-8", "surrogateescape")
        assert redact(text) == "http://***@h/\ufffd"

    def test_lone_surrogate_replaced(self) -> None:
        """A lone surrogate that did not come from surrogateescape is replaced, not a crash."""
        shown = redact("http://x/\ud800")
        assert shown.encode("utf-8")
        assert shown.startswith("http://x/")

    def test_long_text_truncated(self) -> None:
        """Text over 2000 characters is cut to 2000 with an ellipsis."""
        shown = redact("http://x/" + "a" * 5000)
        assert shown == ("http://x/" + "a" * 5000)[:2000] + "…"
        assert len(shown) == 2001

    def test_text_of_2000_characters_not_truncated(self) -> None:
        """Text of exactly 2000 characters is shown whole."""
        text = "a" * 2000
        assert redact(text) == text
