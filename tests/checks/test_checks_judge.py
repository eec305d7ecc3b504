"""Each check is judged on what the final response showed, with a message saying what was seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fetchall.checks import CheckKey, CheckOutcome, Observed, judge, parse_check

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SEEN = Observed(
    status=200,
    final_url="https://example.com/home",
    elapsed=0.25,
    headers=(
        ("Content-Type", "application/json; charset=utf-8"),
        ("Vary", "Accept"),
        ("vary", "Cookie"),
    ),
    body=b'{"status": "degraded", "version": "5", "build": 5, "ratio": 0.5, "ok": true, '
    b'"error": null, "items": [{"id": 1}, {"id": 2}], "name": "Welcome"}',
    cert_expires=NOW + timedelta(days=9, hours=3),
)


def _judged(text: str, seen: Observed = SEEN) -> tuple[bool, str]:
    """``(ok, message)`` of one check judged on ``seen`` at NOW."""
    (outcome,) = judge([parse_check(text)], seen, NOW)
    assert outcome.check == text
    return outcome.ok, outcome.message


def _with_body(body: bytes | None) -> Observed:
    return replace(SEEN, body=body)


class TestStatus:
    """``status=`` passes when the final status is in VALUE."""

    @pytest.mark.parametrize(
        ("text", "status", "ok"),
        [
            ("status=200", 200, True),
            ("status=200", 204, False),
            ("status=200-299,304", 304, True),
            ("status=404", 404, True),
            ("status=200-299", 500, False),
        ],
    )
    def test_status(self, text: str, status: int, ok: bool) -> None:
        """The message gives the status seen."""
        assert _judged(text, replace(SEEN, status=status)) == (ok, f"got {status}")


class TestBody:
    """``body~`` and ``body!~`` search the body decoded as UTF-8, bad bytes replaced."""

    @pytest.mark.parametrize(
        ("text", "body", "expected"),
        [
            ("body~Welcome", b"<h1>Welcome</h1>", (True, "found")),
            ("body~Welcome", b"<h1>Hello</h1>", (False, "not found")),
            ("body~welcome", b"<h1>Welcome</h1>", (False, "not found")),
            ("body!~DEPLOYMENT_NOT_FOUND", b"ok", (True, "not found")),
            ("body!~DEPLOYMENT_NOT_FOUND", b"DEPLOYMENT_NOT_FOUND", (False, "found")),
            ("body~/(?i)welcome/", b"<h1>WELCOME</h1>", (True, 'found "WELCOME"')),
            ('body~/"id":\\s*\\d+/', b'{"id": 42}', (True, 'found "\\"id\\": 42"')),
            ("body!~/[Ee]rror\\s\\d+/", b"Error 503 here", (False, 'found "Error 503"')),
            ("body!~/[Ee]rror\\s\\d+/", b"no problem", (True, "not found")),
            ("body~Grüße", "Grüße".encode(), (True, "found")),
            ("body~a\ufffdb", b"a\xffb", (True, "found")),
            ("body~x", b"", (False, "not found")),
            ("body!~x", b"", (True, "not found")),
            ("body~//", b"", (True, 'found ""')),
        ],
    )
    def test_body(self, text: str, body: bytes, expected: tuple[bool, str]) -> None:
        """Plain VALUEs are found as text; ``/RE/`` is searched and the match shown."""
        assert _judged(text, _with_body(body)) == expected

    def test_body_not_kept(self) -> None:
        """A body that was not kept fails every body check (the engine should have kept it)."""
        assert _judged("body~a", _with_body(None)) == (False, "no body to read (it was not kept)")
        assert _judged("body!~a", _with_body(None)) == (False, "no body to read (it was not kept)")

    def test_long_match_is_cut(self) -> None:
        """A long match is shown cut at 80 characters."""
        ok, message = _judged("body~/x+/", _with_body(b"x" * 500))
        assert ok
        assert message == 'found "' + "x" * 78 + "…"
        assert len(message) == len("found ") + 80


class TestHeader:
    """``header:NAME`` finds NAME in any case; several values are joined with ``, ``."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("header:content-type~json", (True, 'got "application/json; charset=utf-8"')),
            (
                "header:CONTENT-TYPE~/^application\\//",
                (True, 'got "application/json; charset=utf-8"'),
            ),
            ("header:Content-Type~html", (False, 'got "application/json; charset=utf-8"')),
            ("header:Content-Type!~html", (True, 'got "application/json; charset=utf-8"')),
            ("header:Content-Type!~json", (False, 'got "application/json; charset=utf-8"')),
            ('header:vary="Accept, Cookie"', (True, 'got "Accept, Cookie"')),
            ("header:Vary=Accept", (False, 'got "Accept, Cookie"')),
            ("header:Vary~Cookie", (True, 'got "Accept, Cookie"')),
            ("header:x-missing=a", (False, "no such header")),
            ("header:x-missing~a", (False, "no such header")),
            ("header:x-missing!~a", (True, "no such header")),
        ],
    )
    def test_header(self, text: str, expected: tuple[bool, str]) -> None:
        """``=`` is exact, ``~``/``!~`` search; a missing header fails ``=`` and ``~`` only."""
        assert _judged(text) == expected

    def test_empty_value(self) -> None:
        """A header present with an empty value equals ``""``."""
        seen = replace(SEEN, headers=(("X-Empty", ""),))
        assert _judged('header:x-empty=""', seen) == (True, 'got ""')


class TestFinal:
    """``final`` looks at the URL after redirects."""

    @pytest.mark.parametrize(
        ("text", "ok"),
        [
            ("final=https://example.com/home", True),
            ("final=https://example.com/home/", False),
            ("final~/home", True),
            ("final~/old", False),
            ("final~/^https:/", True),
        ],
    )
    def test_final(self, text: str, ok: bool) -> None:
        """``=`` compares the whole URL exactly; ``~`` searches it."""
        assert _judged(text) == (ok, 'got "https://example.com/home"')


class TestTime:
    """``time`` compares the final attempt's duration with VALUE."""

    @pytest.mark.parametrize(
        ("text", "elapsed", "expected"),
        [
            ("time<800ms", 1.2149, (False, "took 1.21 s")),
            ("time<800ms", 0.25, (True, "took 250 ms")),
            ("time<800ms", 0.8, (False, "took 800 ms")),
            ("time<=800ms", 0.8, (True, "took 800 ms")),
            ("time<2s", 1.999, (True, "took 2.00 s")),
            ("time<1m", 59.5, (True, "took 59.50 s")),
        ],
    )
    def test_time(self, text: str, elapsed: float, expected: tuple[bool, str]) -> None:
        """Under a second the message says milliseconds, from a second on seconds."""
        assert _judged(text, replace(SEEN, elapsed=elapsed)) == expected


class TestCert:
    """``cert`` passes when the certificate expires at least VALUE days from now."""

    @pytest.mark.parametrize(
        ("text", "left", "expected"),
        [
            ("cert>=14", timedelta(days=9, hours=3), (False, "expires in 9 days, 2026-12-11")),
            ("cert>=9", timedelta(days=9, hours=3), (True, "expires in 9 days, 2026-12-11")),
            ("cert>=14", timedelta(days=14), (True, "expires in 14 days, 2026-12-16")),
            ("cert>14", timedelta(days=14), (False, "expires in 14 days, 2026-12-16")),
            ("cert>14", timedelta(days=14, seconds=1), (True, "expires in 14 days, 2026-12-16")),
            ("cert>=1", timedelta(days=1, hours=1), (True, "expires in 1 day, 2026-12-03")),
            ("cert>=0", timedelta(hours=2), (True, "expires in 0 days, 2026-12-02")),
            ("cert>=0", timedelta(days=-3), (False, "expired 3 days ago, 2026-11-29")),
            ("cert>=0", timedelta(days=-1), (False, "expired 1 day ago, 2026-12-01")),
        ],
    )
    def test_days_left(self, text: str, left: timedelta, expected: tuple[bool, str]) -> None:
        """Whole days left and the expiry date (UTC) are shown."""
        assert _judged(text, replace(SEEN, cert_expires=NOW + left)) == expected

    def test_date_is_utc(self) -> None:
        """An expiry given in another zone is dated in UTC."""
        tokyo = timezone(timedelta(hours=9))
        expires = datetime(2026, 12, 31, 3, 0, tzinfo=tokyo)  # 2026-12-30 18:00 UTC
        ok, message = _judged("cert>=14", replace(SEEN, cert_expires=expires))
        assert (ok, message) == (True, "expires in 28 days, 2026-12-30")

    def test_http_url(self) -> None:
        """An ``http`` URL fails a cert check: there is no certificate."""
        seen = replace(SEEN, final_url="http://example.com/", cert_expires=None)
        assert _judged("cert>=14", seen) == (False, "an http URL has no certificate")

    def test_https_in_capitals(self) -> None:
        """The scheme is compared in any case."""
        seen = replace(SEEN, final_url="HTTPS://example.com/")
        assert _judged("cert>=1", seen) == (True, "expires in 9 days, 2026-12-11")

    def test_not_verified(self) -> None:
        """Under ``--insecure`` the certificate was not verified, so the check fails."""
        seen = replace(SEEN, tls_verified=False)
        assert _judged("cert>=1", seen) == (False, "the certificate was not verified (--insecure)")

    def test_no_certificate_seen(self) -> None:
        """An https response without a certificate expiry fails."""
        seen = replace(SEEN, cert_expires=None)
        assert _judged("cert>=1", seen) == (False, "no certificate seen")


class TestJson:
    """``json:PATH`` compares the JMESPath result with VALUE: numbers as numbers, else as text."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("json:status=ok", (False, 'got "degraded"')),
            ("json:status=degraded", (True, 'got "degraded"')),
            ("json:status!=ok", (True, 'got "degraded"')),
            ("json:version=5", (True, 'got "5"')),
            ("json:build=5", (True, "got 5")),
            ("json:build=5.0", (True, "got 5")),
            ("json:version=5.0", (False, 'got "5"')),
            ("json:build!=5", (False, "got 5")),
            ("json:ratio=0.5", (True, "got 0.5")),
            ("json:ok=true", (True, "got true")),
            ("json:ok=1", (False, "got true")),
            ("json:build=true", (False, "got 5")),
            ("json:ok=false", (False, "got true")),
            ("json:name=Welcome", (True, 'got "Welcome"')),
            ('json:name="Welcome"', (True, 'got "Welcome"')),
            ("json:items=1", (False, 'got [{"id": 1}, {"id": 2}]')),
            ("json:items!=1", (True, 'got [{"id": 1}, {"id": 2}]')),
            ('json:"length(items)">=1', (True, "got 2")),
            ('json:"length(items)">2', (False, "got 2")),
            ("json:items[0].id<2", (True, "got 1")),
            ("json:items[1].id<=1", (False, "got 2")),
            ("json:ratio>0.25", (True, "got 0.5")),
            ("json:build>=-1e3", (True, "got 5")),
            ("json:version>1", (False, 'got "5", not a number')),
            ("json:ok>0", (False, "got true, not a number")),
            ("json:name~Wel", (True, 'got "Welcome"')),
            ("json:name~/^W.*e$/", (True, 'got "Welcome"')),
            ("json:status~ok", (False, 'got "degraded"')),
            ("json:build~5", (False, "got 5, not a string")),
            ("json:nothing=1", (False, "found nothing (null)")),
            ("json:error=0", (False, "found nothing (null)")),
            ("json:error>0", (False, "found nothing (null)")),
            ("json:error~x", (False, "found nothing (null)")),
            ("json:error!=1", (False, "found nothing (null)")),
            ("json:error=null", (True, "got null")),
            ("json:nothing=null", (True, "got null")),
            ("json:build=null", (False, "got 5")),
            ("json:build!=null", (True, "got 5")),
            ("json:error!=null", (False, "got null")),
        ],
    )
    def test_compare(self, text: str, expected: tuple[bool, str]) -> None:
        """Numbers compare as numbers, strings as text; ordering needs numbers, ``~`` a string."""
        assert _judged(text) == expected

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"<html>", "not JSON: Expecting value: line 1 column 1 (char 0)"),
            (b'{"a": 1', "not JSON: Expecting ',' delimiter: line 1 column 8 (char 7)"),
            (b"", "not JSON: the body is empty"),
            (b"  \n", "not JSON: the body is empty"),
            (b'{"a": "\xff"}', "not JSON: not valid Unicode text"),
            (b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deeply"),
            (None, "no body to read (it was not kept)"),
        ],
    )
    def test_not_json(self, body: bytes | None, message: str) -> None:
        """A body that is not JSON fails the check and says why."""
        assert _judged("json:a=1", _with_body(body)) == (False, message)

    def test_bom_and_utf16(self) -> None:
        """JSON with a UTF-8 byte-order mark, or in UTF-16, is read."""
        assert _judged("json:a=1", _with_body(b'\xef\xbb\xbf{"a": 1}')) == (True, "got 1")
        assert _judged("json:a=1", _with_body('{"a": 1}'.encode("utf-16"))) == (True, "got 1")

    def test_path_that_does_not_fit(self) -> None:
        """A PATH whose function gets the wrong type fails with jmespath's reason."""
        assert _judged('json:"length(build)"=1') == (
            False,
            "JMESPath error: In function length(), invalid type for value: 5, expected one "
            "of: ['string', 'array', 'object'], received: \"number\"",
        )

    def test_top_level_scalar(self) -> None:
        """``@`` is the whole document, which may be a plain value."""
        assert _judged("json:@>=3", _with_body(b"3")) == (True, "got 3")

    def test_non_ascii_and_surrogates_shown(self) -> None:
        """Seen text is shown as written; lone surrogates are escaped, not crashed on."""
        assert _judged("json:a=x", _with_body('{"a": "Grüße"}'.encode())) == (False, 'got "Grüße"')
        assert _judged("json:a=x", _with_body(b'{"a": "\\ud800"}')) == (False, 'got "\\ud800"')

    def test_body_parsed_once(self) -> None:
        """Several json checks on one response give each its own outcome."""
        checks = [parse_check(text) for text in ("json:build=5", "json:status=ok", "json:ok=true")]
        assert [(o.ok, o.message) for o in judge(checks, SEEN, NOW)] == [
            (True, "got 5"),
            (False, 'got "degraded"'),
            (True, "got true"),
        ]


class TestOutcome:
    """``judge`` gives one CheckOutcome per check, in order, ready for reports."""

    def test_order_and_fields(self) -> None:
        """Outcomes follow the checks; each carries the check text, key, ok and message."""
        checks = [parse_check(text) for text in ("status=200", "body~nope", "time<1s")]
        assert judge(checks, SEEN, NOW) == (
            CheckOutcome("status=200", True, "got 200", CheckKey.STATUS),
            CheckOutcome("body~nope", False, "not found", CheckKey.BODY),
            CheckOutcome("time<1s", True, "took 250 ms", CheckKey.TIME),
        )

    def test_to_dict(self) -> None:
        """The JSON form has exactly ``check``, ``ok`` and ``message``."""
        outcome = CheckOutcome("body~Welcome", False, "not found", CheckKey.BODY)
        assert outcome.to_dict() == {"check": "body~Welcome", "ok": False, "message": "not found"}

    def test_str(self) -> None:
        """``str`` is the form used in failure messages."""
        outcome = CheckOutcome("time<800ms", False, "took 1.21 s", CheckKey.TIME)
        assert str(outcome) == "time<800ms: took 1.21 s"

    def test_no_checks(self) -> None:
        """No checks give no outcomes."""
        assert judge([], SEEN, NOW) == ()

    def test_now_defaults_to_the_clock(self) -> None:
        """Without ``now`` a cert check is dated from the current time."""
        seen = replace(SEEN, cert_expires=datetime.now(UTC) + timedelta(days=30, hours=1))
        (outcome,) = judge([parse_check("cert>=29")], seen)
        assert outcome.ok
        assert outcome.message.startswith("expires in 30 days, ")


class TestObserved:
    """``Observed`` answers the questions checks ask of a response."""

    def test_header_lookup(self) -> None:
        """Names match in any case; repeated headers are joined in order; absent is None."""
        assert SEEN.header("VARY") == "Accept, Cookie"
        assert SEEN.header("x-nothing") is None

    def test_is_https(self) -> None:
        """The final URL's scheme decides."""
        assert SEEN.is_https
        assert not replace(SEEN, final_url="http://example.com/").is_https
