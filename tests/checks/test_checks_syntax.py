"""Input lines split into a URL and checks; each check token parses or says why not."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fetchall.checks import (
    Check,
    CheckKey,
    CheckSyntaxError,
    Op,
    parse_check,
    parse_duration,
    render_check,
    split_line,
)
from fetchall.statuses import AcceptedStatuses


def _raises(token: str, reason: str) -> Any:
    """``pytest.raises(CheckSyntaxError)`` matching the whole message for ``token``."""
    return pytest.raises(CheckSyntaxError, match=f"^{re.escape(f'bad check {token!r}: {reason}')}$")


_KEYS = "keys are status, body, header:NAME, json:PATH, time, cert, final"


class TestSplitLine:
    """``split_line`` gives the URL as written and the checks in the order written."""

    def test_url_alone(self) -> None:
        """A line with only a URL has no checks."""
        assert split_line("https://example.com/") == ("https://example.com/", ())

    def test_url_alone_shares_the_empty_tuple(self) -> None:
        """The URL-only fast path returns the very text it was given."""
        line = "https://example.com/a"
        url, checks = split_line(line)
        assert url is line
        assert checks == ()

    def test_empty_text(self) -> None:
        """Empty text gives an empty URL (the reader skips blank lines before this)."""
        assert split_line("") == ("", ())

    def test_documented_examples(self) -> None:
        """Every example line of the README's checks section parses into the checks it shows."""
        lines = {
            "https://example.com/               status=200 body~Welcome time<800ms": [
                "status=200",
                "body~Welcome",
                "time<800ms",
            ],
            "https://example.com/old            final=https://example.com/new": [
                "final=https://example.com/new"
            ],
            "https://api.example.com/health     header:content-type~json json:status=ok": [
                "header:content-type~json",
                "json:status=ok",
            ],
            "https://shop.example.com/          body!~DEPLOYMENT_NOT_FOUND cert>=14": [
                "body!~DEPLOYMENT_NOT_FOUND",
                "cert>=14",
            ],
            'https://api.example.com/v1         json:"length(items)">=1 body~/"id":\\s*\\d+/': [
                'json:"length(items)">=1',
                'body~/"id":\\s*\\d+/',
            ],
        }
        for line, texts in lines.items():
            url, checks = split_line(line)
            assert url == line.split()[0]
            assert [check.text for check in checks] == texts

    def test_tabs_and_runs_of_blanks_separate(self) -> None:
        """Any whitespace, repeated or trailing, separates the URL and the checks."""
        url, checks = split_line("https://x/\t status=200 \t body~a  ")
        assert url == "https://x/"
        assert [check.text for check in checks] == ["status=200", "body~a"]

    def test_quoted_value_with_blanks_is_one_token(self) -> None:
        """A quoted VALUE may hold blanks and still be one check."""
        _, checks = split_line('https://x/ body~"Hello,  world" status=200')
        assert [(check.value, check.text) for check in checks] == [
            ("Hello,  world", 'body~"Hello,  world"'),
            ("200", "status=200"),
        ]

    def test_same_checks_on_many_lines_are_shared(self) -> None:
        """Two lines with the same checks get the same Check objects (parsed once)."""
        _, first = split_line("https://a/ body~x json:a=1")
        _, second = split_line("https://b/ body~x json:a=1")
        assert first == second
        assert all(a is b for a, b in zip(first, second, strict=True))

    def test_bad_second_token(self) -> None:
        """A bad token anywhere on the line raises, naming that token only."""
        with _raises("colour=red", f"unknown key 'colour'; {_KEYS}"):
            split_line("https://x/ status=200 colour=red body~a")

    def test_comment_after_url_is_not_a_check(self) -> None:
        """Text after the URL that is not a check makes the line invalid."""
        with _raises("#", f"unknown key '#'; {_KEYS}"):
            split_line("https://x/ # the home page")

    def test_unterminated_quote_names_the_rest_of_the_line(self) -> None:
        """An unterminated quote takes the rest of the line as its token."""
        with _raises('body~"never closed status=200', "unterminated quote"):
            split_line('https://x/ body~"never closed status=200')


class TestEveryKey:
    """Each key takes its operators and reads its VALUE into the parsed form."""

    @pytest.mark.parametrize(
        ("token", "parts", "expected"),
        [
            ("status=200", ("status", None, "=", "200"), AcceptedStatuses(((200, 200),))),
            (
                "status=200-299,304",
                ("status", None, "=", "200-299,304"),
                AcceptedStatuses(((200, 299), (304, 304))),
            ),
            ("body~Welcome", ("body", None, "~", "Welcome"), "Welcome"),
            ("body!~Oops", ("body", None, "!~", "Oops"), "Oops"),
            (
                "header:Content-Type=text/html",
                ("header", "Content-Type", "=", "text/html"),
                "text/html",
            ),
            ("header:server~nginx", ("header", "server", "~", "nginx"), "nginx"),
            ("header:x-debug!~on", ("header", "x-debug", "!~", "on"), "on"),
            ("json:status=ok", ("json", "status", "=", "ok"), "ok"),
            ("json:version=5", ("json", "version", "=", "5"), 5),
            ("json:ratio!=0.5", ("json", "ratio", "!=", "0.5"), 0.5),
            ("json:n<-1e3", ("json", "n", "<", "-1e3"), -1000.0),
            ("json:n<=10", ("json", "n", "<=", "10"), 10),
            ("json:n>0", ("json", "n", ">", "0"), 0),
            ("json:n>=1", ("json", "n", ">=", "1"), 1),
            ("json:ok=true", ("json", "ok", "=", "true"), True),
            ("json:ok=false", ("json", "ok", "=", "false"), False),
            ("json:error=null", ("json", "error", "=", "null"), None),
            ("json:name~ali", ("json", "name", "~", "ali"), "ali"),
            ("json:zip=05", ("json", "zip", "=", "05"), "05"),
            ("time<800ms", ("time", None, "<", "800ms"), 0.8),
            ("time<=2s", ("time", None, "<=", "2s"), 2.0),
            ("time<1.5s", ("time", None, "<", "1.5s"), 1.5),
            ("cert>=14", ("cert", None, ">=", "14"), 14),
            ("cert>14d", ("cert", None, ">", "14d"), 14),
            ("final=https://x/new", ("final", None, "=", "https://x/new"), "https://x/new"),
            ("final~/new", ("final", None, "~", "/new"), "/new"),
        ],
    )
    def test_parses(
        self, token: str, parts: tuple[str, str | None, str, str], expected: object
    ) -> None:
        """The parts (key, argument, op, VALUE) and the parsed VALUE are what the token says."""
        check = parse_check(token)
        key, argument, op, value = parts
        assert (check.key, check.argument, check.op, check.value, check.text) == (
            CheckKey(key),
            argument,
            Op(op),
            value,
            token,
        )
        assert check.expected == expected
        assert type(check.expected) is type(expected)

    def test_regex_is_compiled_once(self) -> None:
        """``/RE/`` after ``~`` or ``!~`` is compiled at parse time, without the slashes."""
        for token in ("body~/a+b/", "body!~/a+b/", "header:x~/a+b/", "json:p~/a+b/", "final~/a+b/"):
            assert parse_check(token).expected == re.compile("a+b")

    def test_slashes_with_equal_are_text(self) -> None:
        """``/RE/`` is a regex only for ``~`` and ``!~``; with ``=`` it is text."""
        assert parse_check("header:x=/a+b/").expected == "/a+b/"
        assert parse_check("json:p=/a/").expected == "/a/"

    def test_single_slash_is_text(self) -> None:
        """A lone ``/`` is text, not an empty regex."""
        assert parse_check("body~/").expected == "/"

    def test_json_path_is_compiled(self) -> None:
        """A ``json`` check holds its compiled JMESPath expression."""
        check = parse_check('json:"length(items)">=1')
        assert check.path is not None
        assert check.path.search({"items": [1, 2]}) == 2

    def test_other_keys_have_no_path(self) -> None:
        """Only ``json`` checks hold an expression."""
        assert parse_check("body~a").path is None

    def test_str_is_the_text(self) -> None:
        """``str(check)`` is the check as written."""
        assert str(parse_check('json:"a || b"=1')) == 'json:"a || b"=1'

    def test_equality_is_by_text(self) -> None:
        """Checks written alike are equal and hash alike; the parsed forms are not compared."""
        assert parse_check("json:a=1") == parse_check("json:a=1")
        assert len({parse_check("body~x"), parse_check("body~x")}) == 1
        assert parse_check("body~x") != parse_check('body~"x"')


class TestQuoting:
    """Bare words and double-quoted strings with ``\\"`` and ``\\\\`` escapes."""

    def test_quoted_path_with_operator_characters(self) -> None:
        """A PATH holding ``=!<>~`` or blanks is written in double quotes."""
        check = parse_check("json:\"items[?a=='x'] | length(@)\">=2")
        assert check.argument == "items[?a=='x'] | length(@)"
        assert check.op is Op.GREATER_OR_EQUAL
        assert check.value == "2"

    def test_escaped_quote_and_backslash(self) -> None:
        """Inside quotes ``\\"`` is ``"`` and ``\\\\`` is one backslash."""
        assert parse_check(r'body~"say \"hi\" \\ bye"').value == 'say "hi" \\ bye'

    def test_other_backslashes_stand_for_themselves(self) -> None:
        """A backslash before any other character is kept, so ``\\d`` needs no doubling."""
        check = parse_check(r'body~"/\d+ items/"')
        assert check.value == r"/\d+ items/"
        assert check.expected == re.compile(r"\d+ items")

    def test_bare_value_may_hold_quotes_after_its_start(self) -> None:
        """Only a leading ``"`` opens a quoted VALUE."""
        assert parse_check('body~a"b').value == 'a"b'

    def test_empty_quoted_value(self) -> None:
        """``""`` is an empty VALUE (a header present and empty)."""
        assert parse_check('header:x-empty=""').value == ""

    def test_quoted_header_name(self) -> None:
        """A header NAME may be quoted too."""
        assert parse_check('header:"X-Thing"=1').argument == "X-Thing"

    def test_quoted_path_with_escaped_quotes(self) -> None:
        """JMESPath quoted identifiers are written with ``\\"`` inside a quoted PATH."""
        check = parse_check(r'json:"\"a b\".c"=1')
        assert check.argument == '"a b".c'
        assert check.path is not None
        assert check.path.search({"a b": {"c": 1}}) == 1

    def test_quoting_does_not_make_text_of_a_number(self) -> None:
        """VALUE is what the quotes hold: ``"5"`` is read as 5 like ``5``."""
        assert parse_check('json:n="5"').expected == 5


class TestErrors:
    """Every malformed token raises CheckSyntaxError naming the token and the reason."""

    @pytest.mark.parametrize(
        ("token", "reason"),
        [
            ("colour=red", f"unknown key 'colour'; {_KEYS}"),
            ("Status=200", f"unknown key 'Status'; {_KEYS}"),
            ("=200", f"missing key; {_KEYS}"),
            ("body", "missing operator after 'body'; body takes ~ or !~"),
            ("status:x=1", "status takes no :ARGUMENT"),
            ("header=1", "header needs a NAME: header:NAME"),
            ("json=1", "json needs a PATH: json:PATH"),
            ("header:=1", "missing NAME"),
            ('json:""=1', "empty PATH"),
            ("body=x", "body takes ~ or !~, not ="),
            ("status~200", "status takes =, not ~"),
            ("header:x<1", "header takes =, ~ or !~, not <"),
            ("json:a!~x", "json takes =, !=, <, <=, >, >= or ~, not !~"),
            ("time>1s", "time takes < or <=, not >"),
            ("cert<=3", "cert takes >= or >, not <="),
            ("final!~x", "final takes = or ~, not !~"),
            ("body~", "missing VALUE"),
            ("status=abc", "'abc' is not a status code or range like 200-299"),
            ("status=299-200", "'299-200' is an empty range; write it low-high"),
            ("time<2", "'2' is not a duration like 800ms, 2s, 1.5s or 2m"),
            ("time<fast", "'fast' is not a duration like 800ms, 2s, 1.5s or 2m"),
            ("cert>=two", "'two' is not a number of days like 14 or 14d"),
            ("cert>=1.5", "'1.5' is not a number of days like 14 or 14d"),
            ("json:n>abc", "> compares numbers; 'abc' is not a number"),
            ("json:n<=true", "<= compares numbers; 'true' is not a number"),
            (
                "body~/(unclosed/",
                "bad regular expression: missing ), unterminated subpattern at position 0",
            ),
            ("json:a[=1", "bad JMESPath: Incomplete expression at column 2"),
            ("json:nosuch(a)=1", "bad JMESPath: unknown function nosuch()"),
            (
                "json:length(a,b)=1",
                "bad JMESPath: length() takes 1 argument, not 2",
            ),
            ('json:"join(a)"=1', "bad JMESPath: join() takes 2 arguments, not 1"),
            (
                'json:"not_null()"=1',
                "bad JMESPath: not_null() takes at least 1 argument, not 0",
            ),
            ("header:a(b)=1", "'a(b)' is not a header name"),
            ('body~"a"b', "text after the closing quote"),
            (
                'json:"a"b=1',
                "missing operator after 'json:\"a\"'; json takes =, !=, <, <=, >, >= or ~",
            ),
            ('body~"open', "unterminated quote"),
            ('body~"ends in backslash\\"', "unterminated quote"),
        ],
    )
    def test_message(self, token: str, reason: str) -> None:
        """The message is ``bad check 'TOKEN': REASON``; token and reason are attributes."""
        with pytest.raises(CheckSyntaxError) as caught:
            parse_check(token)
        assert (caught.value.token, caught.value.reason) == (token, reason)
        assert str(caught.value) == f"bad check {token!r}: {reason}"

    def test_is_a_value_error(self) -> None:
        """CheckSyntaxError is a ValueError, so option parsers treat it as a bad value."""
        assert issubclass(CheckSyntaxError, ValueError)

    def test_huge_repeat_count(self) -> None:
        """A regex repeat count Python cannot hold is a bad regular expression, not a crash."""
        with pytest.raises(CheckSyntaxError, match="bad regular expression: "):
            parse_check("body~/a{99999999999}/")

    def test_deeply_nested_path(self) -> None:
        """A PATH nested past the parser's recursion limit is bad JMESPath, not a crash."""
        path = "(" * 5000 + "a" + ")" * 5000
        with _raises(f"json:{path}=1", "bad JMESPath: nested too deeply"):
            parse_check(f"json:{path}=1")

    def test_parse_check_takes_one_check(self) -> None:
        """``parse_check`` refuses a second check after the first."""
        with _raises("body~a body~b", "text after the check: ' body~b'"):
            parse_check("body~a body~b")

    def test_ambiguous_regex_is_accepted_quietly(self) -> None:
        """A set that Python warns may change meaning is accepted without a warning."""
        check = parse_check("body~/[[a]/")
        assert check.expected == re.compile("[[a]")

    def test_deprecated_jmespath_literal_is_accepted_quietly(self) -> None:
        """jmespath's deprecated `text` literal still parses, without a warning."""
        check = parse_check("json:`abc`=abc")
        assert check.path is not None
        assert check.path.search({}) == "abc"


class TestParseDuration:
    """``parse_duration`` reads check and ``--wait`` durations into seconds."""

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("800ms", 0.8), ("2s", 2.0), ("1.5s", 1.5), ("2m", 120.0), ("0s", 0.0), (" 90s ", 90.0)],
    )
    def test_units(self, text: str, seconds: float) -> None:
        """``ms``, ``s`` and ``m`` are understood; blanks around are ignored."""
        assert parse_duration(text) == pytest.approx(seconds)

    @pytest.mark.parametrize("text", ["2", "2h", "-1s", "1.s", ".5s", "1 s", "", "2S", "1e3ms"])
    def test_refused(self, text: str) -> None:
        """A duration without a known unit, or with a sign or exponent, is refused."""
        with pytest.raises(ValueError, match=re.escape(f"{text!r} is not a duration like")):
            parse_duration(text)


class TestRenderCheck:
    """``render_check`` writes a check that parses back to itself, quoting only if needed."""

    @pytest.mark.parametrize(
        ("parts", "text"),
        [
            ((CheckKey.BODY, Op.CONTAINS, "Welcome"), "body~Welcome"),
            ((CheckKey.BODY, Op.CONTAINS, "Hello world"), 'body~"Hello world"'),
            ((CheckKey.BODY, Op.LACKS, '"quoted"'), r'body!~"\"quoted\""'),
            ((CheckKey.BODY, Op.CONTAINS, 'a"b'), 'body~a"b'),
            ((CheckKey.HEADER, Op.EQUAL, "", "x-empty"), 'header:x-empty=""'),
            ((CheckKey.JSON, Op.GREATER_OR_EQUAL, "1", "length(items)"), "json:length(items)>=1"),
            ((CheckKey.JSON, Op.EQUAL, "x", "a == b"), 'json:"a == b"=x'),
            ((CheckKey.JSON, Op.EQUAL, "\\", "a"), "json:a=\\"),
            ((CheckKey.JSON, Op.EQUAL, "a b\\", "a"), r'json:a="a b\\"'),
        ],
    )
    def test_render(self, parts: tuple[Any, ...], text: str) -> None:
        """The text is as short as the quoting rules allow and parses back."""
        assert render_check(*parts) == text
        check = parse_check(text)
        assert (check.key, check.op, check.value) == parts[:3]
        assert check.argument == (parts[3] if len(parts) > 3 else None)


def test_check_has_slots() -> None:
    """Checks carry no per-instance dict: millions of lines may hold them."""
    check: Check = parse_check("body~a")
    assert not hasattr(check, "__dict__")
