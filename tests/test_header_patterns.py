"""``--header-for`` patterns, and header values that are never shown."""

from __future__ import annotations

import pickle

import pytest
from yarl import URL

from fetchall.options import Options
from fetchall.options.headers import HeaderFor, HostPattern, PatternKind, parse_header


class TestHostPattern:
    """A host, ``*.domain`` or ``scheme://host:port``, and which URLs each matches."""

    @pytest.mark.parametrize(
        ("pattern", "url", "matches"),
        [
            ("api.example.com", "https://api.example.com/x", True),
            ("api.example.com", "http://api.example.com:8080/", True),
            ("API.Example.com", "https://api.example.com/", True),
            ("api.example.com", "https://example.com/", False),
            ("api.example.com", "https://x.api.example.com/", False),
            ("*.example.com", "https://a.example.com/", True),
            ("*.example.com", "https://a.b.example.com:9/", True),
            ("*.example.com", "https://example.com/", False),
            ("*.example.com", "https://badexample.com/", False),
            ("https://api.example.com:8443", "https://api.example.com:8443/p", True),
            ("https://api.example.com:8443", "https://api.example.com/p", False),
            ("https://api.example.com:8443", "http://api.example.com:8443/p", False),
            ("https://api.example.com", "https://api.example.com:443/", True),
            ("https://api.example.com", "https://api.example.com:8443/", False),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/x", True),
            ("bücher.example", "http://xn--bcher-kva.example/", True),
            ("[::1]", "http://[::1]:8000/", True),
        ],
    )
    def test_matches(self, pattern: str, url: str, matches: bool) -> None:
        """Host: any scheme and port; subdomains: any depth, not the apex; origin: exact."""
        assert HostPattern.parse(pattern).matches(URL(url)) is matches

    def test_kinds(self) -> None:
        """Each form is read as its kind."""
        kinds = [HostPattern.parse(p).kind for p in ("a.b", "*.a.b", "https://a.b")]
        assert kinds == [PatternKind.HOST, PatternKind.SUBDOMAINS, PatternKind.ORIGIN]

    @pytest.mark.parametrize(
        "pattern",
        [
            "",
            "a b",
            "api.example.com:8443",
            "api.example.com/path",
            "https://api.example.com/path",
            "ftp://api.example.com",
            "https://u:p@api.example.com",
            "https://api.example.com?q",
            "a.*.example.com",
            "*example.com",
            "*.",
            "http://",
            "https://a.b:99999",
        ],
    )
    def test_malformed(self, pattern: str) -> None:
        """Anything else is a ValueError quoting the pattern."""
        with pytest.raises(ValueError, match=r"host|origin|port"):
            HostPattern.parse(pattern)


class TestSecretValuesNeverShown:
    """The value of a --header-for header, or of a secret -H header, is in no message."""

    def test_header_for_repr(self) -> None:
        """A HeaderFor, and Options holding one or a secret -H header, show no value."""
        header = HeaderFor.parse("a.b", "X-Key: v4lue-s3cret")
        options = Options(headers=(("Authorization", "Bearer t0ken"),), header_for=(header,))
        assert "v4lue-s3cret" not in repr(header)
        assert "v4lue-s3cret" not in repr(options)
        assert "t0ken" not in repr(options)

    def test_pickled_for_workers(self) -> None:
        """Workers get it through their pipe, pickled: it comes back equal."""
        header = HeaderFor.parse("*.a.b", "X-Key: v")
        assert pickle.loads(pickle.dumps(header)) == header

    @pytest.mark.parametrize(
        "text", ["Authorization: Bearer t0ken\r\nX: y", "cookie: t0ken\n", "Authorization t0ken"]
    )
    def test_malformed_secret_header(self, text: str) -> None:
        """A malformed Authorization or Cookie header's message leaves its value out."""
        with pytest.raises(ValueError, match="header") as raised:
            parse_header(text)
        assert "t0ken" not in str(raised.value)

    def test_malformed_header_for_header(self) -> None:
        """A malformed --header-for header's message leaves its value out, whatever its name."""
        for text in ("X-Key: t0ken\r\n", "X-Key t0ken"):
            with pytest.raises(ValueError, match="header") as raised:
                HeaderFor.parse("a.b", text)
            assert "t0ken" not in str(raised.value)

    def test_other_headers_are_quoted(self) -> None:
        """An ordinary malformed -H header is quoted whole, to show what is wrong."""
        with pytest.raises(ValueError, match="'X: a\\\\r\\\\nY'"):
            parse_header("X: a\r\nY")

    def test_header_for_must_be_header_for_values(self) -> None:
        """The library's header_for takes HeaderFor values, not pairs."""
        with pytest.raises(ValueError, match="HeaderFor"):
            Options(header_for=(("a.b", "X: y"),))  # type: ignore[arg-type]


class TestUserAgent:
    """A User-Agent with a control character could end the header and start another."""

    @pytest.mark.parametrize("agent", ["ua\r\nX-Injected: 1", "ua\n", "ua\x00"])
    def test_control_characters_refused(self, agent: str) -> None:
        """Options refuses it, naming the option."""
        with pytest.raises(ValueError, match=r"user_agent .* control characters"):
            Options(user_agent=agent)

    def test_tab_and_text_accepted(self) -> None:
        """A tab is allowed in a header value, as for -H."""
        assert Options(user_agent="my-check/1.0\t(ci)").user_agent == "my-check/1.0\t(ci)"
